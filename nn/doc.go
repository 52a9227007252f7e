// Package nn is Oneshot's small neural-network engine: float32 tensors on
// gorgonia.org/tensor, layers with their forward and backward passes side by
// side, models composed of layers, optimizers, and the model file format.
//
// # Layout: NHWC
//
// Every activation is a 4-d tensor of shape (N, H, W, C): batch, height,
// width, channels, with channels innermost. We chose NHWC over NCHW because
//
//   - a convolution lowered by im2col becomes one matrix product for the
//     whole batch: the patches form a (N·OH·OW) × (KH·KW·C) matrix, the filter
//     bank a (KH·KW·C) × OutC matrix, and their product is already the NHWC
//     output, with no transposition afterwards;
//   - a browser's ImageData and Go's image.RGBA are height × width × channel,
//     so a crop becomes an input tensor with no shuffling;
//   - the teacher network's weights (TensorFlow.js) are stored as
//     KH × KW × InC × OutC filters, which is exactly the matrix above.
//
// Dense layers work on (N, F) matrices; Flatten and GlobalAvgPool go from
// 4-d to 2-d.
//
// # Layers
//
// A Layer computes y = f(x) in Forward and, given dL/dy, returns dL/dx in
// Backward while adding dL/dθ into the gradients of its parameters. A layer
// keeps what Backward needs from the last Forward call made with
// training=true, and reuses its output and scratch buffers across calls of
// the same shape, so a steady stream of frames makes no garbage. The returned
// tensors are owned by the layer and are overwritten by its next call: copy
// them if you need them longer.
//
// # Where the math lives
//
// Every layer's arithmetic is written twice. reference.go holds the plain
// version: each layer's forward and backward pass as nested loops that
// read like the formula in their comments (the llm.c way), summing in
// float64 and keeping nothing between calls; nothing runs it but the tests.
// The layer files hold the fast paths that Forward and Backward run:
// matrix products, bands of rows on all cores, SIMD vectors, reused
// buffers (see Speed). reference_test.go checks that the two agree, to
// float32 rounding, on random inputs of many shapes, and gradcheck_test.go
// that each Backward is the derivative of its Forward. To learn what a
// layer computes, read reference.go; to learn how it is made fast, read
// its own file.
//
// # Speed
//
// The matrix products (gemm) run on gonum natively, and on a packed kernel
// over all cores, in SIMD vectors, where Go's simd experiment is on
// (gemm_kernel.go; in WebAssembly the same kernel). Convolutions become
// matrix products by im2col (conv_im2col.go), except depthwise ones, which
// run direct loops (conv_depthwise.go). Batch norm, PReLU and the depthwise
// convolutions split a batch into bands of rows on all cores (bands.go):
// each pass is a plain function of a small struct holding everything it
// reads and writes, so what a band works on is in its signature. Their
// per-value arithmetic runs in vectors (rows.go and rows_simd.go,
// depthwise_simd.go), each value the same sequence of float32 operations
// as the one-at-a-time code beside it. In WebAssembly everything runs on
// the one thread.
//
// # Models on disk
//
// Save and Load write and read one self-describing file (format.go): the
// architecture as JSON, then every parameter and buffer by name. Values are
// float32, or, after Model.RoundToHalf, IEEE half precision (half.go): half
// the bytes, for a model to ship rather than to train; after
// Model.RoundToInt8 the weights of convolutions and dense layers take one
// byte each, with one scale per output channel (int8.go): a quarter. Average
// makes one model of several runs that share a start (a soup).
package nn
