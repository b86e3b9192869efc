{
  # One C file, Node-API only: no node-addon-api, no nan, so the binary is ABI-stable across Node majors.
  # Built by scripts/build-native.mjs (the package's install script), which skips everything but Linux.
  "targets": [
    {
      "target_name": "vrrp_packet",
      "sources": ["native/packet_socket.c"],
      # Node-API 8 is the first with type tags (napi_type_tag_object); every supported Node has it.
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
