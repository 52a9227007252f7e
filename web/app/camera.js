// The webcam: getUserMedia into a <video>, frames read back as ImageData
// through an OffscreenCanvas, and the errors a person can act on.

/** Starts the camera into video; resolves when frames are flowing. */
export async function startCamera(video) {
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
    throw cameraError("unsupported", "This browser cannot use a camera here. Open the page over https or on localhost, in a current browser.");
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false });
  } catch (err) {
    throw explain(err);
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  if (!video.videoWidth) {
    await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
  }
  return stream;
}

/** Stops every track of the video's stream. */
export function stopCamera(video) {
  const s = video.srcObject;
  if (s) for (const t of s.getTracks()) t.stop();
  video.srcObject = null;
}

function cameraError(kind, message) {
  const e = new Error(message);
  e.kind = kind;
  return e;
}

// explain turns a getUserMedia rejection into a message that says what to do.
export function explain(err) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return cameraError("denied", "Camera permission was denied. Allow the camera for this page (the camera icon in the address bar) and press Start camera again.");
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return cameraError("nocamera", "No camera was found. Connect a camera and press Start camera again.");
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return cameraError("busy", "The camera could not be started: another application may be using it. Close it and try again.");
    default:
      return cameraError("other", `The camera could not be started: ${err && err.message ? err.message : err}`);
  }
}

/** Grabber reads the current video frame as a fresh ImageData. */
export class Grabber {
  #canvas = null;
  #ctx = null;

  grab(video) {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h || video.readyState < 2) return null;
    if (!this.#canvas || this.#canvas.width !== w || this.#canvas.height !== h) {
      this.#canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(w, h) : Object.assign(document.createElement("canvas"), { width: w, height: h });
      this.#ctx = this.#canvas.getContext("2d", { willReadFrequently: true });
    }
    this.#ctx.drawImage(video, 0, 0, w, h);
    return this.#ctx.getImageData(0, 0, w, h);
  }
}

/** A copy of an ImageData (the engine takes the pixels of what it is given). */
export function cloneImage(img) {
  return new ImageData(new Uint8ClampedArray(img.data), img.width, img.height);
}

/**
 * Draws the face of img into a canvas: the face box with a margin, or the
 * centre of the image when there is no box.
 */
export function drawFace(canvas, img, box) {
  const ctx = canvas.getContext("2d");
  let sx = 0, sy = 0, sw = img.width, sh = img.height;
  if (box) {
    const m = box.width * 0.25;
    sx = box.x - m; sy = box.y - m; sw = box.width + 2 * m; sh = box.height + 2 * m;
  } else {
    const s = Math.min(img.width, img.height);
    sx = (img.width - s) / 2; sy = (img.height - s) / 2; sw = sh = s;
  }
  const tmp = new OffscreenCanvas(img.width, img.height);
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.fillStyle = "#888";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(tmp, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
}

/** Draws the face boxes and pupils of a detection over the video. */
export function drawOverlay(canvas, width, height, faces, ok) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  (faces || []).forEach((f, i) => {
    if (!f || !f.box) return;
    ctx.lineWidth = Math.max(2, width / 200);
    ctx.strokeStyle = i === 0 ? (ok ? "#3ddc84" : "#ffb300") : "#ff5252";
    ctx.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
    if (f.pupils) {
      ctx.fillStyle = f.pupils.found ? "#00e5ff" : "#ffb300";
      for (const p of [f.pupils.left, f.pupils.right]) {
        ctx.beginPath();
        ctx.arc(p.x, p.y, Math.max(3, f.box.width / 40), 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  });
}
