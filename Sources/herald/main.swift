import HeraldHTTP
print(CurlVersion.current.summary)
