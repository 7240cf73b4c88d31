At testTearDown the server lets the test's requests finish (bounded by
``settle_timeout``, reporting what still runs) and holds requests that
arrive until the next test starts.
