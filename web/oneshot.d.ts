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

export interface Detection {
  width: number;
  height: number;
  /** Best first; empty when there is no face. */
  faces: Face[];
  quality: Quality;
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
}

export interface Verification {
  id: string;
  match: boolean;
  /** Squared distance to the person's template, 0 (same) … 4. */
  distance: number;
  threshold: number;
  /** 0–100 similarity, 50 at the threshold. */
  score: number;
  face: Face;
  quality: Quality;
}

export interface Candidate {
  id: string;
  distance: number;
  score: number;
  match: boolean;
}

export interface Identification {
  /** Nearest first. */
  candidates: Candidate[];
  /** true when nobody is within the threshold. */
  unknown: boolean;
  /** The nearest person when within the threshold, else "". */
  id: string;
  threshold: number;
  face: Face;
  quality: Quality;
}

export interface VerifyOptions {
  /** Overrides the model's threshold: a squared distance between 0 and 4 (exclusive). */
  threshold?: number;
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
  dim: number;
  cropWidth: number;
  cropHeight: number;
  params: number;
  architecture?: string;
}

export interface Info {
  model: ModelInfo;
  people: string[];
}

export interface GalleryInfo {
  people: number;
  /** true when the file came from another model and was re-embedded. */
  reembedded: boolean;
}

export interface Progress {
  stage: "wasm" | "model" | "facefinder" | "puploc" | "init";
  loaded: number;
  /** 0 when unknown (no Content-Length, or a compressed response). */
  total: number;
  /** 0…1, or null when the total is unknown. */
  fraction: number | null;
}

export interface LoadOptions {
  /** Default: oneshot.wasm beside oneshot.js. */
  wasmURL?: string | URL;
  /** Default: model.oneshot beside oneshot.js. */
  modelURL?: string | URL;
  /** Folder holding facefinder and puploc. Default: cascade/ beside oneshot.js. */
  cascadeURL?: string | URL;
  /** Default: wasm_exec.js beside oneshot.js. */
  wasmExecURL?: string | URL;
  /** Default: worker.js beside oneshot.js. */
  workerURL?: string | URL;
  onProgress?: (progress: Progress) => void;
  /** Transfer pixel buffers to the worker (default true; they are detached after each call). */
  transferPixels?: boolean;
}

/** Every rejection is an Error like this one. */
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
  embed(image: ImageLike): Promise<Float32Array>;
  enroll(id: string, images: ImageLike[]): Promise<EnrollResult>;
  verify(id: string, image: ImageLike, options?: VerifyOptions): Promise<Verification>;
  identify(image: ImageLike, options?: IdentifyOptions): Promise<Identification>;
  remove(id: string): Promise<{ removed: string }>;
  people(): Promise<string[]>;
  exportGallery(): Promise<Uint8Array>;
  importGallery(bytes: Bytes): Promise<GalleryInfo>;
  exportModel(): Promise<Uint8Array>;
  importModel(bytes: Bytes): Promise<ModelInfo>;
  /** Not implemented yet: always rejects. */
  fineTune(...args: unknown[]): Promise<never>;
  /** Stops the worker; pending and later calls reject. */
  terminate(): void;
}

export declare const VERSION: string;

export declare const Oneshot: {
  load(options?: LoadOptions): Promise<Engine>;
  readonly VERSION: string;
};

export default Oneshot;
