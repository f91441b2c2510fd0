// backprop: the book's command-line tool. It parses flags and calls the
// chapters (see Sources/BackpropCLI); all the learning happens in the chapter
// modules.
//
//   backprop tour                      every chapter on its shipped data
//   backprop train <model> [flags]     one training run
//   backprop bench [name…] [flags]     naive vs SIMD speed, vs this CPU's peak
//   backprop figures [flags]           regenerate chapters/figures/*.svg

import BackpropCLI

BackpropTool.main()
