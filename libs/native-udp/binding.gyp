{
  "targets": [
    {
      "target_name": "udp_fanout",
      "sources": ["src/udp_fanout.c", "src/udp_receive.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [["OS!='linux'", {"type": "none", "sources": []}]]
    }
  ]
}
