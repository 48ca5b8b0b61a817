// A Kafka cluster for the tests: librdkafka's mock brokers speak the real protocol on loopback.
// Prints `bootstrap HOST:PORT,…` once the topic exists, then reads commands on stdin, answering
// each with one line:
//   produce FROM COUNT KEYS   COUNT events with ids m-FROM…, keyed k<n % KEYS>, in order per key
//   down BROKER / up BROKER   takes a broker off the network, or back
// It exits at end of input.
import CRdKafka
#if canImport(Glibc)
import Glibc
#endif

/// One line to `descriptor`, unbuffered: the test reads each answer as it comes.
func say(_ line: String, to descriptor: Int32 = 1) {
    var text = line + "\n"
    text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say("herald-kafka-mock: \(message)", to: 2)
    exit(1)
}

func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func argument(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

func handle(_ type: rd_kafka_type_t, _ properties: [(String, String)]) -> OpaquePointer {
    let conf = rd_kafka_conf_new()
    var errorText = [CChar](repeating: 0, count: 512)
    for (key, value) in properties where rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
        fail("\(key): \(text(errorText))")
    }
    guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else { fail("rd_kafka_new: \(text(errorText))") }
    return handle
}

let brokerCount = Int32(argument("--brokers", "1")) ?? 1
let topic = argument("--topic", "events")
let partitions = Int32(argument("--partitions", "3")) ?? 3

// The cluster lives in a handle of its own, so that producing never depends on it being up.
let owner = handle(RD_KAFKA_PRODUCER, [("log_level", "3")])
guard let cluster = rd_kafka_mock_cluster_new(owner, brokerCount) else { fail("cannot create the mock cluster") }
guard rd_kafka_mock_topic_create(cluster, topic, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR else { fail("cannot create topic \(topic)") }
let bootstrap = String(validatingCString: rd_kafka_mock_cluster_bootstraps(cluster)) ?? ""
let producer = handle(RD_KAFKA_PRODUCER, [("bootstrap.servers", bootstrap), ("linger.ms", "5"), ("log_level", "3")])
guard let producerTopic = rd_kafka_topic_new(producer, topic, nil) else { fail("cannot open topic \(topic)") }
say("bootstrap \(bootstrap)")

func produce(from: Int, count: Int, keys: Int, producer: OpaquePointer, topic producerTopic: OpaquePointer) {
    for n in from..<(from + count) {
        let key = Array("k\(n % keys)".utf8)
        let payload = Array(#"{"type":"order.updated","id":"m-\#(n)","key":"k\#(n % keys)","seq":\#(n)}"#.utf8)
        while true {
            let status = payload.withUnsafeBytes { body in
                key.withUnsafeBytes { keyBytes in
                    rd_kafka_produce(producerTopic, -1, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: body.baseAddress), body.count,
                                     keyBytes.baseAddress, keyBytes.count, nil)
                }
            }
            if status == 0 { break }
            rd_kafka_poll(producer, 50)  // queue full: let deliveries drain
        }
        rd_kafka_poll(producer, 0)
    }
    let flushed = rd_kafka_flush(producer, 60_000)
    say(flushed == RD_KAFKA_RESP_ERR_NO_ERROR ? "produced \(count)" : "error flush: \(flushed.rawValue)")
}

while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    switch words.first {
    case "produce" where words.count == 4:
        produce(from: Int(words[1]) ?? 0, count: Int(words[2]) ?? 0, keys: max(1, Int(words[3]) ?? 1), producer: producer, topic: producerTopic)
    case "down" where words.count == 2:
        say(rd_kafka_mock_broker_set_down(cluster, Int32(words[1]) ?? 1) == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : "error down")
    case "up" where words.count == 2:
        say(rd_kafka_mock_broker_set_up(cluster, Int32(words[1]) ?? 1) == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : "error up")
    default:
        say("error unknown command: \(line)")
    }
}
rd_kafka_topic_destroy(producerTopic)
rd_kafka_destroy(producer)
rd_kafka_mock_cluster_destroy(cluster)
rd_kafka_destroy(owner)
