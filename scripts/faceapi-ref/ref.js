// Runs face-api.js's FaceRecognitionNet on inputs sent by main.go and
// returns its 128-d descriptors. window.refState is "loading", "ready" or
// "error: …"; window.describe(base64RGB, width, height) resolves to an array.
import * as faceapi from '/faceapi/dist/face-api.esm.js';

const log = (s) => { document.getElementById('log').textContent += '\n' + s; };
window.refState = 'loading';

async function init() {
  const tf = faceapi.tf;
  await tf.setBackend('cpu');
  await tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromUri('/faceapi/model');
  window.refBackend = `${tf.getBackend()} (tfjs ${tf.version_core})`;
  window.describe = async (b64, width, height) => {
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    if (bytes.length !== width * height * 3) throw new Error(`got ${bytes.length} bytes for ${width}x${height}x3`);
    // the 0..255 image as a float32 tensor: face-api pads, resizes and normalises it itself
    const t = tf.tensor3d(Float32Array.from(bytes), [height, width, 3], 'float32');
    try {
      const d = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(t);
      return Array.from(d);
    } finally {
      t.dispose();
    }
  };
  window.refState = 'ready';
  log(`ready on ${window.refBackend}`);
}

init().catch((e) => { window.refState = `error: ${e && e.stack || e}`; log(window.refState); });
