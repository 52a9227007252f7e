// A small line chart of the training loss on a canvas.

export class LossChart {
  #canvas;
  #points = [];

  constructor(canvas) {
    this.#canvas = canvas;
    this.clear();
  }

  clear() {
    this.#points = [];
    this.draw();
  }

  add(loss) {
    if (typeof loss === "number" && Number.isFinite(loss)) {
      this.#points.push(loss);
      this.draw();
    }
  }

  draw() {
    const c = this.#canvas, ctx = c.getContext("2d");
    const w = c.width, h = c.height, pad = 28;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = "#6b7280";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(pad, 6);
    ctx.lineTo(pad, h - pad);
    ctx.lineTo(w - 6, h - pad);
    ctx.stroke();
    ctx.fillStyle = "#4a4f57";
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText("loss", 2, h / 2);
    ctx.fillText("step", w - 34, h - 8);
    const p = this.#points;
    if (!p.length) {
      ctx.fillText("The loss appears here while fine-tuning.", pad + 10, h / 2);
      return;
    }
    const max = Math.max(...p, 1e-6);
    ctx.fillText(`max ${max.toFixed(3)}`, pad + 8, 16);
    ctx.fillText("0", pad - 12, h - pad);
    ctx.strokeStyle = "#0b57d0";
    ctx.lineWidth = 2;
    ctx.beginPath();
    p.forEach((v, i) => {
      const x = pad + (p.length === 1 ? 0 : (i / (p.length - 1)) * (w - pad - 8));
      const y = h - pad - (v / max) * (h - pad - 10);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = "#0b57d0";
    p.forEach((v, i) => {
      const x = pad + (p.length === 1 ? 0 : (i / (p.length - 1)) * (w - pad - 8));
      const y = h - pad - (v / max) * (h - pad - 10);
      ctx.beginPath();
      ctx.arc(x, y, p.length > 60 ? 1.5 : 3, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
}
