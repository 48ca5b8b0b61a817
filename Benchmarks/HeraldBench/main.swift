import HeraldCore
@main struct Bench { static func main() { print(HeraldVersion.string) } }
