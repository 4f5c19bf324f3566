{
  # C against Node-API only (no V8 or libuv headers), so the module built with any Node's
  # headers loads in any Node with Node-API 8: the machine's headers and the runtime may differ.
  "target_defaults": {
    "defines": ["NAPI_VERSION=8", "_GNU_SOURCE", "_FILE_OFFSET_BITS=64"],
    "cflags": ["-std=gnu11", "-pthread", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags!": ["-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "smig_native",
      "sources": [
        "src/smig_native.c", "src/smig_native_xattrs.c", "src/smig_async.c", "src/smig_async_copy.c", "src/smig_async_scan.c", "src/smig_walk.c", "src/smig_walk_call.c",
        "src/smig_pair.c", "src/smig_pair_classify.c", "src/smig_pair_sync.c", "src/smig_pool.c", "src/smig_listing.c",
        "src/smig_beneath.c", "src/smig_filecopy.c", "src/smig_filedata.c", "src/smig_content.c", "src/smig_entries.c", "src/smig_attributes.c", "src/smig_xattr.c", "src/smig_hash.c", "src/smig_util.c"
      ],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["smig_hash_avx2"], "defines": ["SMIG_HASH_AVX2"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          # The hash's AVX2 code, apart: only this file may use AVX2 instructions (chosen at run time).
          "target_name": "smig_hash_avx2",
          "type": "static_library",
          "sources": ["src/smig_hash_avx2.c"],
          "cflags": ["-mavx2", "-fPIC"]
        }
      ]
    }]
  ]
}
