// Package train is Oneshot's one training loop, shared by cmd/train (the
// compact embedder, natively) and by fine-tuning in the tab.
//
// A step follows the one-shot learning notes:
//
//  1. Sample a batch of P identities × K images each (so every anchor has
//     positives), filled up with random other images (more negatives).
//  2. Align each image to the embedder's template with a random Jitter
//     (flip, rotation, scale, shift, brightness, contrast, gamma, blur).
//  3. Embed the batch; f(x) is a unit vector.
//  4. Loss = DistillWeight · mean ‖f(x) − t(x)‖² (distillation: match the
//     teacher's embedding t of the same, unjittered face)
//     + TripletWeight · mean over mined triplets of
//     max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + margin, 0), the triplets mined
//     online from the batch (batch-hard: the hardest positive and negative
//     of each anchor, the notes' d(A,P) ≈ d(A,N) cases).
//  5. Back-propagate, clip the gradient norm, take an AdamW step.
//
// Prepare decodes and finds the pupils of every image once; TeacherTargets
// caches the teacher's embeddings on disk, so a training run never reruns
// the 150×150 ResNet.
package train
