"""The shape of the explorer's boundary keys, shared by the search rules (`explorer.search`) and the compiled
kernels (`explorer.search_kernel`), kept apart so that the rules can be imported without numba (the web app
imports them; numba and LLVM cost about 100 MB of memory, loaded only when an index is built or read)."""

K = 4  # bytes of a token kept on each side of a boundary key
SEP_MAX = 8  # longer separators get no boundary key
