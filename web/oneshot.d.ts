// TypeScript declarations for oneshot.js: face enrollment and verification
// in the browser, in a Web Worker running Go compiled to WebAssembly.

/** An RGBA image: an ImageData, or anything shaped like one. */
export interface ImageLike {
  /** width × height × 4 bytes, RGBA, rows top to bottom. Transferred to the worker (detached after the call) unless transferPixels is false. */
  data: Uint8ClampedArray | Uint8Array | ArrayBuffer;
  width: number;
  height: number;
}

/** Bytes of a gallery or model file. */
export type Bytes = Uint8Array | Uint8ClampedArray | ArrayBuffer | Blob;

export interface Point {
  x: number;
  y: number;
}

/** A face's square in image pixels: top-left corner and size (it may reach outside the image). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Pupils {
  /** The pupil on the image's left. */
  left: Point;
  right: Point;
  /** false when the pupils were estimated from the box. */
  found: boolean;
}

export interface Face {
  box: Box;
  /** Detector confidence: about 5 is weak, 20 and more clear. */
  score: number;
  pupils: Pupils;
}

export type Problem =
  | "noFace"
  | "severalFaces"
  | "faceTooSmall"
  | "eyesNotFound"
  | "tooDark"
  | "tooBright"
  | "lowContrast"
  | "tooBlurry"
  | "tooTilted"
  | "unclearFace";

/** The verdict on an image for enrollment or verification. */
export interface Quality {
  ok: boolean;
  problems: Problem[];
  /** The problems in words a person understands ("too dark"). */
  reasons: string[];
  faces: number;
  eyeDistance: number;
  roll: number;
  brightness: number;
  contrast: number;
  sharpness: number;
}

/**
 * How long the stages of one call took inside the WebAssembly module, in
 * milliseconds (Go's monotonic clock, i.e. the worker's performance.now();
 * the browser may coarsen it to 5 µs, or 100 µs on a page that is not
 * cross-origin isolated). These are the module's own compute times: the
 * round trip to the worker, the copy of the pixels and the encoding of the
 * answer are not in them (compare with the call's own wall time). A stage
 * the call did not run is 0; enroll sums each stage over its images.
 */
export interface Timings {
  /** Face scan: greyscale conversion, the detection cascade over the image, clustering. */
  detect: number;
  /** Pupil localisation (of every face reported, for detect; of the best face otherwise). */
  pupils: number;
  /** Quality measurements and checks of the best face. */
  quality: number;
  /** Alignment of the face into the model's crop, with the nose and mouth found first for a five-point model (0 for detect). */
  align: number;
  /** The network's forward pass on the aligned crop alone (0 for detect): what a crop-only embed costs. */
  embed: number;
  /** The whole call in the module: the stages plus argument checks and the gallery's work. */
  total: number;
}

export interface Detection {
  width: number;
  height: number;
  /** Best first; empty when there is no face. */
  faces: Face[];
  quality: Quality;
  timings: Timings;
}

/** What embed(image, {details: true}) resolves to. */
export interface Embedding {
  /** The best face's unit embedding (128 values for the shipped model). */
  vector: Float32Array;
  /** The face that was embedded. */
  face: Face;
  quality: Quality;
  timings: Timings;
}

export interface EmbedOptions {
  /** Resolve to an Embedding ({vector, face, quality, timings}) instead of the bare Float32Array. */
  details?: boolean;
}

export interface FrameResult {
  accepted: boolean;
  /** Why a refused image was refused; empty when accepted. */
  reasons: string[];
  /** Squared distance of an accepted image to the new template. */
  distance: number;
  face: Face | null;
  quality: Quality;
}

export interface EnrollResult {
  id: string;
  enrolled: boolean;
  frames: FrameResult[];
  accepted: number;
  refused: number;
  /** true when someone already enrolled as id was replaced. */
  replaced: boolean;
  /** Mean squared distance of the accepted images to the template. */
  spread: number;
  /** Each stage summed over the images (refused images are not aligned or embedded). */
  timings: Timings;
}

export interface Verification {
  id: string;
  /**
   * false when the image's quality has problems (quality.reasons say which) and the call did not ask
   * for a verdict anyway ({anyQuality: true}): the face was not compared, match is false and there is
   * no distance or score.
   */
  judged: boolean;
  /** true when the face was judged and distance ≤ threshold. */
  match: boolean;
  /** Squared distance to the person's template, 0 (same) … 4; with a model
   * that has a cohort (ModelInfo.cohortFaces > 0), the cohort-normalised
   * distance, on the same scale. Absent when judged is false. */
  distance?: number;
  threshold: number;
  /** 0–100 similarity, 50 at the threshold. Absent when judged is false. */
  score?: number;
  face: Face;
  quality: Quality;
  timings: Timings;
}

export interface Candidate {
  id: string;
  distance: number;
  score: number;
  match: boolean;
}

export interface Identification {
  /**
   * false when the image's quality has problems (quality.reasons say which) and the call did not ask
   * for a verdict anyway ({anyQuality: true}): nobody was compared, candidates is empty, unknown is
   * false and id "".
   */
  judged: boolean;
  /** Nearest first. */
  candidates: Candidate[];
  /** true when the face was judged and nobody is within the threshold. */
  unknown: boolean;
  /** The nearest person when within the threshold, else "". */
  id: string;
  threshold: number;
  face: Face;
  quality: Quality;
  timings: Timings;
}

export interface VerifyOptions {
  /**
   * Overrides the model's threshold: a squared distance between 0 and 4 (exclusive), or "strict" for
   * the model's strict point (`ModelInfo.strictThreshold`; an error for a model without one).
   */
  threshold?: number | "strict";
  /**
   * Judge an image whose quality has problems (too dark, blurred, several faces, …) too. Without it
   * such an image gets no verdict (`judged: false`), so that a poor frame cannot decide who someone
   * is; an image without a face rejects either way.
   */
  anyQuality?: boolean;
}

export interface IdentifyOptions extends VerifyOptions {
  /** How many candidates to return (default 5). */
  k?: number;
}

export interface ModelInfo {
  fingerprint: string;
  bytes: number;
  threshold: number;
  /** false when the model has no calibrated threshold (an untrained model). */
  calibrated: boolean;
  /**
   * Where `threshold` (and `strictThreshold`) come from: "loaded", the model file the engine was loaded
   * with (the shipped model, calibrated by Oneshot); "imported", a file passed to importModel, whose
   * maker calibrated it (say so to the user); "uncalibrated", the file has none and 1.0 is used. A
   * fine-tuned model keeps the source of the model it came from.
   */
  thresholdSource: "loaded" | "imported" | "uncalibrated";
  /** true when the file's threshold lies outside the calibrated range (0.15…1.4) and was accepted only because importModel was asked to trust it. */
  thresholdTrusted?: boolean;
  /** Multiply-adds the model spends on one crop (at most 400 million). */
  multiplyAdds: number;
  /**
   * A stricter operating point than `threshold`, when the model has one: the distance at which 1% of
   * its calibration pairs of two different people were accepted. Ask `verify`/`identify` for it with
   * `{threshold: "strict"}` when a false accept costs more than a false reject.
   */
  strictThreshold?: number;
  dim: number;
  cropWidth: number;
  cropHeight: number;
  params: number;
  architecture?: string;
  /** Set once the model was fine-tuned: mode, triplets, epochs, lr, margin. */
  fineTuned?: string;
  /** true when each face is embedded together with its mirror image. */
  mirror: boolean;
  /** Faces in the model's cohort, which normalises every verify and identify
   * distance (0: raw squared distances). */
  cohortFaces: number;
}

export interface Info {
  model: ModelInfo;
  people: string[];
  /**
   * The people of `people` the model cannot verify until they enroll again: their kept face crops do not
   * show the view it reads (a gallery saved before crops were kept as dlib's 150-pixel chip, switched to
   * the accurate model). verify rejects them; identify passes them by; a model that can use their crops
   * restores them.
   */
  enrollAgain: string[];
}

export interface ImportModelOptions {
  /**
   * Accept a model whose threshold or strict point lies outside the calibrated range 0.15…1.4. That
   * threshold decides every verdict; trust it only for a file whose calibration you know. Without
   * it such a file is refused.
   */
  trustThreshold?: boolean;
}

export interface GalleryInfo {
  people: number;
  /** true when the file came from another model and was re-embedded. */
  reembedded: boolean;
}

export interface Progress {
  /** Downloads (wasm, model, cascades), then "init" once everything is loaded; useModel reports "model" then "switch" (re-embedding everyone enrolled). */
  stage: "wasm" | "model" | "facefinder" | "puploc" | "lp93" | "lp84" | "init" | "switch";
  loaded: number;
  /** 0 when unknown (no Content-Length, or a compressed response). */
  total: number;
  /** 0…1, or null when the total is unknown. */
  fraction: number | null;
}

/** A shipped model by name, or a model file's URL. */
export type ModelChoice = "compact" | "accurate" | string | URL;

export interface UseModelOptions {
  /** Download progress ({stage: "model"}), then {stage: "switch"} while everyone enrolled is re-embedded. */
  onProgress?: (progress: Progress) => void;
  /** As for importModel: accept a threshold outside the calibrated range. */
  trustThreshold?: boolean;
}

export interface LoadOptions {
  /** Default: oneshot.wasm beside oneshot.js. */
  wasmURL?: string | URL;
  /**
   * Which model to run: "compact" (the default: model.oneshot beside oneshot.js, 1.4 MB, ~13 ms a face),
   * "accurate" (accurate.oneshot: dlib's ResNet with 8-bit weights, 5.7 MB, ~110 ms a face; present when
   * the build could fetch its weights) or a model file's URL. Give model or modelURL, not both.
   */
  model?: ModelChoice;
  /** A model file's URL (the same as model: URL). */
  modelURL?: string | URL;
  /** Folder holding facefinder, puploc and lps/lp93 and lps/lp84 (the nose and mouth cascades). Default: cascade/ beside oneshot.js. */
  cascadeURL?: string | URL;
  /** Default: wasm_exec.js beside oneshot.js. */
  wasmExecURL?: string | URL;
  /** Default: worker.js beside oneshot.js. */
  workerURL?: string | URL;
  onProgress?: (progress: Progress) => void;
  /** Transfer pixel buffers to the worker (default true; they are detached after each call). */
  transferPixels?: boolean;
}

/** A labelled picture for fineTune. */
export interface Capture {
  image: ImageLike;
  /** Who is in the picture: captures with the same label are the same person. */
  label: string;
}

/** A user's triplet: anchor and positive show one person, negative another. */
export interface Triplet {
  anchor: ImageLike;
  positive: ImageLike;
  negative: ImageLike;
}

export interface FineTuneOptions {
  /** Labelled captures (all valid triplets are mined, semi-hard first) … */
  captures?: Capture[];
  /** … or explicit triplets; pass one of the two. */
  triplets?: Triplet[];
  /** "head" (default): train the last layers on trunk features computed once; "full": the whole network. */
  mode?: "head" | "full";
  /**
   * "triplet" (default): the triplet loss. "siamese": a binary head σ(Σₖ wₖ |f(x₁)ₖ − f(x₂)ₖ| + b) trained with
   * cross-entropy on balanced same-person and different-people pairs, jointly with the network; the head is
   * dropped afterwards and verification stays by distance. Either way the held-out triplets decide whether the
   * new weights are kept.
   */
  objective?: "triplet" | "siamese";
  /** Default 30. */
  epochs?: number;
  /** Triplet margin on squared distances (0…4); default 0.2 (the triplet objective only). */
  margin?: number;
  /** AdamW learning rate; default 0.003. */
  lr?: number;
  /** Called after every training step. */
  onProgress?: (progress: FineTuneProgress) => void;
  /** Aborting cancels the run: fineTune rejects with an AbortError and the previous model stays. */
  signal?: AbortSignal;
}

export interface FineTuneProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Running mean of the objective's loss over the epoch. */
  loss: number;
  /** Fraction of the step's triplets with a positive loss; with the siamese objective, of its pairs the head gets wrong. */
  active: number;
}

/** Verification on the held-out triplets. */
export interface FineTuneScore {
  /** Mean squared distance anchor–positive. */
  matched: number;
  /** Mean squared distance anchor–negative. */
  mismatched: number;
  /** mismatched − matched: larger is better. */
  gap: number;
  /** gap / mismatched, 1 − matched/mismatched: the new weights are kept only if it did not shrink (and auc fell by at most 0.05). */
  separation: number;
  /** Fraction of triplets whose positive is nearer than the negative. */
  accuracy: number;
  /** Chance that a mismatched pair is farther apart than a matched one: the new weights are kept only if it fell by at most 0.05. */
  auc: number;
  triplets: number;
}

export interface FineTuneResult {
  mode: "head" | "full";
  objective: "triplet" | "siamese";
  before: FineTuneScore;
  after: FineTuneScore;
  /** true when the new weights replaced the old (the held-out result did not get worse). */
  kept: boolean;
  /** Why they were not kept. */
  reason?: string;
  /** Training triplets. */
  triplets: number;
  /** With the siamese objective, the training pairs (same-person ones and as many different-people ones). */
  pairs?: number;
  /** Held-out triplets before/after were measured on (0: too little data, measured on the training ones). */
  heldOut: number;
  epochs: number;
  /** The objective's loss in the last epoch. */
  loss: number;
  seconds: number;
  /** The new model, when kept. */
  model?: ModelInfo;
  /** People re-embedded with the new model. */
  reembedded: number;
}

/**
 * Every rejection is an Error like this one. A call whose images hold more than 320 MiB of pixels
 * (every image counted, even one passed many times), or made while the calls not yet answered hold
 * 512 MiB, rejects at once with a message saying so; the engine keeps answering.
 */
export interface OneshotError extends Error {
  /** The method that failed. */
  method?: string;
  /** For enroll when every image was refused: the EnrollResult. */
  details?: unknown;
}

export declare class Engine {
  private constructor();
  /** The Go module's version. */
  readonly version: string;
  /** What was loaded: the model and the (empty) gallery. */
  readonly info: Info;
  detect(image: ImageLike): Promise<Detection>;
  /** Resolves to the best face's unit embedding. */
  embed(image: ImageLike, options?: EmbedOptions & { details?: false }): Promise<Float32Array>;
  /** With {details: true}: the embedding, its face, the quality verdict and the module's stage timings. */
  embed(image: ImageLike, options: EmbedOptions & { details: true }): Promise<Embedding>;
  embed(image: ImageLike, options?: EmbedOptions): Promise<Float32Array | Embedding>;
  enroll(id: string, images: ImageLike[]): Promise<EnrollResult>;
  verify(id: string, image: ImageLike, options?: VerifyOptions): Promise<Verification>;
  identify(image: ImageLike, options?: IdentifyOptions): Promise<Identification>;
  remove(id: string): Promise<{ removed: string }>;
  people(): Promise<string[]>;
  exportGallery(): Promise<Uint8Array>;
  importGallery(bytes: Bytes): Promise<GalleryInfo>;
  exportModel(): Promise<Uint8Array>;
  /**
   * Replaces the model, re-embedding everyone enrolled, all or nothing. The file is judged by its header
   * before anything runs: at most 16 Mi parameters, 400 million multiply-adds and 4 Mi activation
   * values per crop, crops of at most 256 pixels a side, thresholds within 0.15…1.4 (see options).
   */
  importModel(bytes: Bytes, options?: ImportModelOptions): Promise<ModelInfo>;
  /**
   * Switches to another model ("compact", "accurate" or a URL): downloads it in the worker with progress, then
   * swaps it in as importModel does, re-embedding everyone enrolled from their kept face crops. Other calls are
   * answered with the current model until the swap. A person whose kept crops cannot show the new model's view
   * (a gallery saved by a build before kept crops were 150 px) stays listed in `info.enrollAgain` (refreshInfo).
   */
  useModel(model: ModelChoice, options?: UseModelOptions): Promise<ModelInfo>;
  /** Asks the worker what it runs now ({model, people, enrollAgain}) and updates `info`. */
  refreshInfo(): Promise<Info>;
  /** Goes back to the model the engine loaded, re-embedding everyone enrolled. */
  resetModel(): Promise<ModelInfo>;
  /**
   * Fine-tunes the embedder in the worker; keeps the new weights only if the held-out result did not
   * get worse. It runs beside the other calls: those made while it aligns the pictures or trains are
   * answered meanwhile, with the model as it was until the fine-tuned one is swapped in (one
   * fine-tuning runs at a time). The pictures of one call may hold at most 320 MiB of pixels.
   */
  fineTune(options: FineTuneOptions): Promise<FineTuneResult>;
  /**
   * Starts a liveness challenge for the person enrolled as id: a random order of moves (look at the
   * camera, turn left, turn right, look at the camera) that a photograph held up to the camera cannot
   * follow. Head turns are read with pigo's nose and mouth cascades, which Oneshot.load loaded.
   * A deterrent against photographs, not certified presentation attack detection: it does not stop
   * a replayed video of the person, a 3-D mask, or frames injected by a script or a virtual camera.
   */
  challenge(id: string, options?: ChallengeOptions): Promise<Challenge>;
  /** Stops the worker; pending and later calls reject. */
  terminate(): void;
}

export interface ChallengeOptions {
  /** The verification threshold of the frames looking at the camera: a number, or "strict". */
  threshold?: number | "strict";
  /** The time allowed for each move, in milliseconds (default 6000). */
  moveTimeoutMs?: number;
  /** How far the nose must move across the face for a turn to count (default 0.12). */
  turn?: number;
  /** Fixes the order of the moves, for tests only: a known order is easier to cheat. */
  seed?: number;
}

/** A move the challenge asks for; left and right are the person's own. */
export type ChallengeMove = "center" | "left" | "right";

export interface ChallengeState {
  /** The person the challenge is for. */
  id: string;
  /** True once there is a verdict. */
  done: boolean;
  /** Every move was made in time, as one face throughout (no cut to another face). */
  live: boolean;
  /** The faces looking at the camera matched the enrolled person. */
  match: boolean;
  /** done && live && match. */
  passed: boolean;
  /** The move asked for now. */
  move: ChallengeMove;
  /** What to show and read out now; after the verdict, the verdict in words. */
  prompt: string;
  /** The index of move in moves. */
  step: number;
  moves: ChallengeMove[];
  /** 0 to 1 over the whole sequence. */
  progress: number;
  /** How far the nose has moved across the face since the start (positive: towards the person's left). */
  yaw: number;
  /** yaw was measured on this frame (else it is from the last frame where it was). */
  measured: boolean;
  /** Why this frame did not count, if it did not ("no face"). */
  hint: string;
  /** Why a finished challenge failed; empty otherwise. */
  reasons: string[];
  /** A face of this challenge was compared with id; distance is the last comparison. */
  judged: boolean;
  distance: number;
  threshold: number;
  /** The best face of the frame, or null. */
  face: Face | null;
  timings: Timings;
}

export declare class Challenge {
  private constructor();
  /** The latest state; before any frame, the first prompt. */
  readonly state: ChallengeState;
  /**
   * Looks at the next camera frame and resolves to the new state. ms is when the frame was taken
   * (milliseconds, any clock that does not go back; default: when the module receives it).
   */
  next(frame: ImageLike, ms?: number): Promise<ChallengeState>;
  /** Ends the challenge in the module (done challenges end by themselves). */
  end(): Promise<void>;
}

export declare const VERSION: string;

/** The shipped models' files, beside oneshot.js, by name. */
export declare const MODELS: { readonly compact: "model.oneshot"; readonly accurate: "accurate.oneshot" };

export declare const Oneshot: {
  load(options?: LoadOptions): Promise<Engine>;
  readonly MODELS: typeof MODELS;
  readonly VERSION: string;
};

export default Oneshot;
