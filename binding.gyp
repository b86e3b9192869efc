{
  # C, Node-API only: no node-addon-api, no nan, so the binary is ABI-stable across Node majors. One file per concern
  # (native/addon.c lists them). Built by scripts/build-native.mjs (the package's install script), which skips
  # everything but Linux. <uv.h> comes with node-gyp's Node headers; libuv's symbols are the running node's own.
  "targets": [
    {
      "target_name": "vrrp_packet",
      "sources": [
        "native/addon.c",
        "native/common.c",
        "native/packet.c",
        "native/route.c",
        "native/burst.c",
        "native/watcher.c",
        "native/vrrp_socket.c",
        "native/repeat_filter.c",
        "native/silence_bpf.c",
        "native/timer.c",
        "native/events.c",
        "native/renew.c",
        "native/memory.c",
        "native/vmac_guard.c"
      ],
      # Node-API 8 is the first with type tags (napi_type_tag_object) and async cleanup hooks; every supported Node
      # has it.
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=implicit-function-declaration"]
    }
  ]
}
