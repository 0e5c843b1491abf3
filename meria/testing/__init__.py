"""Real servers for tests and benchmarks: nats-server and Temporal on free ports."""
