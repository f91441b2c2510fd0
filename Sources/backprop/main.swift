// backprop: the book's command-line tool. It parses flags and calls the
// chapters (see Sources/BackpropCLI); all the learning happens in the chapter
// modules.
//
//   backprop tour                      every chapter on its shipped data
//   backprop train <model> [flags]     one training run
//   backprop bench [name…] [flags]     naive vs SIMD speed, vs this CPU's peak
//   backprop figures [flags]           regenerate chapters/figures/*.svg

import BackpropCLI
#if canImport(Glibc)
import Glibc

// The layers allocate their outputs and caches afresh on every step (the
// layer contract returns new tensors), in blocks of 0.1–2 MiB. glibc serves
// blocks above its mmap threshold (128 KiB at start, adapting upwards) with
// fresh mappings and trims freed heap top beyond 128 KiB, so each step paid
// for zeroed pages again: ~100k page faults and 5% of the CPU time in the
// kernel for 60 GPT steps. Serving such blocks from the heap and keeping up
// to 256 MiB of freed heap for reuse removes 87% of those faults; the
// process's peak memory is unchanged (it only stops giving pages back).
// (mallopt is looked up at run time: <malloc.h> is not in Swift's Glibc
// module. The option numbers are glibc's M_TRIM_THRESHOLD −1 and
// M_MMAP_THRESHOLD −3.)
if let symbol = dlsym(nil, "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    _ = mallopt(-3, 64 << 20)
    _ = mallopt(-1, 256 << 20)
}
#endif

BackpropTool.main()
