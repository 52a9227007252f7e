// Package train is Oneshot's one training loop, shared by cmd/train (the
// compact embedder, natively) and by fine-tuning in the tab.
//
// A step follows the one-shot learning notes:
//
//  1. Sample a batch of P identities × K images each (so every anchor has
//     positives), filled up with random other images (more negatives).
//  2. Align each image to the embedder's template with a random Jitter
//     (flip, rotation, scale, shift, brightness, contrast, gamma, blur), or,
//     with view targets (Targets.Views), as one of the views the teacher
//     embedded, picked at random among every set of views: a Jitter, and,
//     as the set's Composition says, perhaps blended with another face
//     (Mix), given a band of it (Swap: eyes, or nose and mouth) or one of
//     its sides (Side: the left or right half) — a View.
//  3. Embed the batch; f(x) is a unit vector.
//  4. Loss = DistillWeight · mean ‖f(x) − t(x)‖² (distillation: match the
//     teacher's embedding t of the same, unjittered face; with view
//     targets, of the very view the student sees: consistent distillation)
//     + TripletWeight · mean over mined triplets of
//     max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + margin, 0), the triplets mined
//     online from the batch (batch-hard: the hardest positive and negative
//     of each anchor, the notes' d(A,P) ≈ d(A,N) cases; blends are
//     distilled but left out of mining)
//     + RelationWeight · mean over the batch's pairs of the squared
//     difference between the student's and the teacher's distances
//     (relational distillation, loss.RelationalDistance; off by default)
//     + SiameseWeight · mean binary cross-entropy of a head
//     ŷ = σ(Σₖ wₖ |f(x1)ₖ − f(x2)ₖ| + b) (loss.SiameseHead, the notes'
//     second formulation) on balanced same-person and different-people
//     pairs of the batch, the head trained with the network (off by
//     default; fine-tuning's Siamese objective)
//     + ProxyWeight · mean cross-entropy of a softmax over every training
//     person's proxy, the teacher's mean embedding of their faces
//     (loss.ProxySoftmax; composites left out; off by default).
//  5. Back-propagate, clip the gradient norm, take an AdamW step.
//
// Package train/prepare decodes and finds the pupils of every image of a
// data set once, for cmd/train (the tab reads no data set); TeacherTargets
// caches the teacher's embeddings on disk, so a training run never reruns
// the 150×150 ResNet; TeacherViews does the same for Count augmented views
// of each face, each made again from (seed, sample, view) alone; the
// teacher's crops and the student's are both made by one function, so
// they cannot drift apart. While a cache is being made, each embedding is
// appended to a journal beside it (journal.go): a run stopped part way
// through an hour of teacher work resumes where it stopped.
//
// # Fine-tuning
//
// FineTune adapts a trained embedder to a handful of labelled crops or
// explicit triplets with the same Trainer (NewInputTrainer: prepared
// inputs instead of face images, no distillation, explicit triplets in
// shuffled batches or semi-hard mining from labels, Config.Mining):
//
//   - Head mode (the default) splits the network before HeadFrom ("embed"),
//     runs the frozen trunk once over every crop and trains only the last
//     layers on those features; full mode back-propagates through it all.
//     Batch norm keeps its running statistics (FrozenStats) either way.
//   - The objective is the triplet loss (ObjectiveTriplet, the default)
//     or the Siamese head's cross-entropy (ObjectiveSiamese): the head
//     starts as the distance verifier the model already is
//     (loss.FitSiameseHead), its weights train with the network's
//     trainable part, the gradient reaching the network through the
//     embedding, and it is dropped when training ends — verification
//     stays the embedding's distance against the gallery's threshold.
//   - Before training it holds out data (every fourth triplet, or the last
//     capture of each person with three or more) and scores the model on
//     it, together with triplets of Others (the enrolled people, never
//     trained on); the trained copy is returned only when the held-out
//     separation, 1 − mean d(A,P) / mean d(A,N), did not shrink (the
//     plain gap d(A,N) − d(A,P) grows also for a wrecked model that
//     scatters every face), its AUC fell by at most AUCTolerance (a
//     ratio of means can still be raised by throwing a few faces far
//     apart; a count of ordered pairs cannot) and no held-out triplet
//     more is wrong than before (Score.NotWorse). Training failures (a loss
//     that is not finite) and worse scores return no model and a Reason;
//     a cancelled context returns its error. The model passed in is never
//     changed. Both objectives are judged by the same held-out triplets.
package train
