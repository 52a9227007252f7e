// Package eval measures how well an embedder verifies faces on a list of
// labelled pairs, the way the LFW benchmark does, and draws the result.
//
// # What is measured
//
// Pairs embeds every distinct image of the pairs once — decode, detect the
// best face, find its pupils, align, embed — in parallel, one worker per
// Embedder, and compares the two images of each pair by the squared distance
// of the notes,
//
//	d(x1, x2) = ‖f(x1) − f(x2)‖²   (loss.SquaredDistance)
//
// or, when the model carries a cohort (embedder.Embedder.Cohort), by the
// cohort-normalised distance the gallery uses (gallery.Cohort): the figures
// are those of the verification a user gets.
//
// A pair is called "same person" when d ≤ τ. The Report then holds:
//
//   - Accuracy ± Std: the LFW protocol. The pairs are split into folds by
//     their dataset.Pair.Fold numbers (10 folds of 50 matched + 50
//     mismatched pairs for pairsDevTest.txt); for each fold the threshold
//     that maximises accuracy on the other folds is measured on it
//     (loss.KFoldAccuracyFolds); Accuracy is the mean over folds and Std
//     their population standard deviation.
//   - AUC, EER and TAR at FAR = 1% (loss.AUC, loss.EER, loss.TARAtFAR).
//   - Threshold: the one chosen on all pairs, the one to deploy. Its accuracy
//     on these same pairs is optimistic; Accuracy is the honest figure.
//   - Failures, FallbackEyes, the per-pair Distances for plots, and timing.
//
// # Failures
//
// An image in which the detector finds no face cannot be embedded. Leaving
// its pairs out would flatter the embedder (the hard pictures are the ones
// dropped), so every pair touching such an image is a failure and counts as
// an error: it is predicted wrong whatever the threshold. That is done in two
// steps. The metrics of package loss take finite distances only, so a failed
// pair is given a distance that is wrong for its label — FailedDistance, far
// beyond every real distance, for a matched pair, and 0 for a mismatched
// pair — which puts it on the wrong side of every threshold the folds can
// choose, and makes it count against AUC, EER and TAR as well. Then, because
// a threshold chosen as "accept everything" (or "accept nothing") would
// still land such a pair on the right side, the fold accuracies are measured
// again with the rule spelt out: a failed pair is always wrong (see
// FromDistances and Report.AccuracyAt).
//
// An image whose face is found but whose pupils are not (face.Eyes.Found
// false) is still embedded, aligned with the eyes estimated from the face
// box; such images are counted in FallbackEyes, a figure of the detector's
// health rather than of the embedder's.
//
// # Comparing two models
//
// Compare takes two Reports of the same pairs and says how far apart the
// models are and how sure that is: fold accuracies paired fold by fold,
// AUCs by a paired bootstrap. Two related models trip on the same hard
// pairs, so their difference is known far better than either figure;
// cmd/compare is its command-line face.
//
// # Plots
//
// PlotROC and PlotHistogram draw a Report as PNG images with the standard
// library's image packages and the fixed 7×13 font of
// golang.org/x/image/font/basicfont: the ROC curve with the false accept rate
// on a log axis, and the histogram of matched and mismatched distances with
// the chosen threshold.
//
// The package does no file or terminal output of its own beyond reading the
// images of the pairs; cmd/eval is its command-line face.
package eval
