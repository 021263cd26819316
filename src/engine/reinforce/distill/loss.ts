// The MobileCLIP training loss on one batch of (image, text) pairs, with hand-written
// gradients for the adapter parameters:
//   loss = (1 - λ) · CLIP + λ · KD
//   CLIP = ½ [ CE(rows of L, diagonal) + CE(columns of L, diagonal) ]          (mean over the batch)
//   KD   = mean over teachers of ½ [ KL(P_t rows ‖ Q rows) + KL(P_t cols ‖ Q cols) ]
// where L = τ · S Uᵀ are the student logits (S = normalize(X Wᵀ), U = normalize(Y Vᵀ) or
// normalize(Y)), τ = exp(logScale) is the student's learned logit scale, Q the student's
// softmax (over rows: image→text, over columns: text→image) and P_t the softmax of teacher t's
// logits 100 · (teacher image · teacher text). Teachers and student may have different dims:
// only their B×B similarity matrices meet.
import { l2Norm } from '../../vectors';

/** Teacher logit scale from the paper (fixed). */
export const TEACHER_LOGIT_SCALE = 100;

export interface PairBatch {
  size: number;
  /** [B, d] student image embeddings (frozen tower output, L2-normalized). */
  x: Float64Array;
  /** [B, d] student text embeddings. */
  y: Float64Array;
  /** Per teacher: [B, B] teacher logits (already scaled by 100). */
  teacherLogits: Float64Array[];
}

export interface AdapterParams {
  dim: number;
  w: Float64Array;
  /** Text-side map, or undefined to leave texts as they are. */
  v?: Float64Array;
  logScale: number;
}

export interface LossParts {
  loss: number;
  clip: number;
  kd: number;
}

export interface Gradients {
  w: Float64Array;
  v?: Float64Array;
  logScale: number;
}

export function zeroGradients(p: AdapterParams): Gradients {
  return { w: new Float64Array(p.w.length), v: p.v ? new Float64Array(p.v.length) : undefined, logScale: 0 };
}

/** Teacher logits 100 · A Bᵀ for row blocks [B, dt] of one teacher. */
export function teacherLogits(img: Float64Array, txt: Float64Array, b: number, dt: number): Float64Array {
  const out = new Float64Array(b * b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let k = 0; k < dt; k++) s += img[i * dt + k]! * txt[j * dt + k]!;
      out[i * b + j] = TEACHER_LOGIT_SCALE * s;
    }
  return out;
}

/** Z = X Mᵀ ([B, d] · [d, d]ᵀ), then row-wise L2 normalization; returns normalized rows and norms. */
export function projectNormalize(x: Float64Array, m: Float64Array | undefined, b: number, d: number): { s: Float64Array; z: Float64Array; norms: Float64Array } {
  const z = new Float64Array(b * d);
  if (m) {
    for (let i = 0; i < b; i++)
      for (let a = 0; a < d; a++) {
        let acc = 0;
        for (let k = 0; k < d; k++) acc += m[a * d + k]! * x[i * d + k]!;
        z[i * d + a] = acc;
      }
  } else z.set(x);
  const s = new Float64Array(b * d);
  const norms = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    const n = l2Norm(z.subarray(i * d, (i + 1) * d)) || 1e-12;
    norms[i] = n;
    for (let a = 0; a < d; a++) s[i * d + a] = z[i * d + a]! / n;
  }
  return { s, z, norms };
}

/** Row softmax (axis 1) or column softmax (axis 0) of a [B, B] matrix. */
export function softmax(l: Float64Array, b: number, axis: 0 | 1): Float64Array {
  const out = new Float64Array(b * b);
  for (let r = 0; r < b; r++) {
    const at = (c: number) => (axis === 1 ? r * b + c : c * b + r);
    let max = -Infinity;
    for (let c = 0; c < b; c++) max = Math.max(max, l[at(c)]!);
    let sum = 0;
    for (let c = 0; c < b; c++) {
      const e = Math.exp(l[at(c)]! - max);
      out[at(c)] = e;
      sum += e;
    }
    for (let c = 0; c < b; c++) out[at(c)]! /= sum;
  }
  return out;
}

/**
 * Adds this batch's loss gradient into `grad` and returns its loss parts.
 * λ = 1 is pure distillation, λ = 0 plain CLIP.
 */
export function batchLoss(p: AdapterParams, batch: PairBatch, lambda: number, grad?: Gradients): LossParts {
  const b = batch.size;
  const d = p.dim;
  const tau = Math.exp(p.logScale);
  const img = projectNormalize(batch.x, p.w, b, d);
  const txt = projectNormalize(batch.y, p.v, b, d);
  const logits = new Float64Array(b * b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let dot = 0;
      for (let a = 0; a < d; a++) dot += img.s[i * d + a]! * txt.s[j * d + a]!;
      logits[i * b + j] = tau * dot;
    }
  const qRow = softmax(logits, b, 1);
  const qCol = softmax(logits, b, 0);
  let clip = 0;
  for (let i = 0; i < b; i++) clip -= Math.log(qRow[i * b + i]! + 1e-300) + Math.log(qCol[i * b + i]! + 1e-300);
  clip /= 2 * b;

  const teachers = batch.teacherLogits.length;
  const pMean = new Float64Array(b * b); // mean over teachers of (P_row + P_col)
  let kd = 0;
  for (const tl of batch.teacherLogits) {
    const pRow = softmax(tl, b, 1);
    const pCol = softmax(tl, b, 0);
    let kl = 0;
    for (let k = 0; k < b * b; k++) {
      if (pRow[k]! > 0) kl += pRow[k]! * (Math.log(pRow[k]!) - Math.log(qRow[k]! + 1e-300));
      if (pCol[k]! > 0) kl += pCol[k]! * (Math.log(pCol[k]!) - Math.log(qCol[k]! + 1e-300));
      pMean[k]! += (pRow[k]! + pCol[k]!) / teachers;
    }
    kd += kl / (2 * b);
  }
  if (teachers) kd /= teachers;
  const useKd = teachers > 0 ? lambda : 0;
  const loss = (1 - useKd) * clip + useKd * kd;
  if (!grad) return { loss, clip, kd };

  // dLoss/dLogits = 1/(2B) · [ (Q_row + Q_col) - (1-λ)·2I - λ·mean_t(P_row + P_col) ]
  const g = new Float64Array(b * b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      const k = i * b + j;
      g[k] = (qRow[k]! + qCol[k]! - (i === j ? 2 * (1 - useKd) : 0) - useKd * pMean[k]!) / (2 * b);
    }
  let dLogScale = 0;
  for (let k = 0; k < b * b; k++) dLogScale += g[k]! * logits[k]!;
  grad.logScale += dLogScale;

  // dS = τ G U, dU = τ Gᵀ S
  const dS = new Float64Array(b * d);
  const dU = new Float64Array(b * d);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      const gij = tau * g[i * b + j]!;
      if (gij === 0) continue;
      for (let a = 0; a < d; a++) {
        dS[i * d + a]! += gij * txt.s[j * d + a]!;
        dU[j * d + a]! += gij * img.s[i * d + a]!;
      }
    }
  accumulateLinearGrad(dS, img, batch.x, b, d, grad.w);
  if (p.v && grad.v) accumulateLinearGrad(dU, txt, batch.y, b, d, grad.v);
  return { loss, clip, kd };
}

/** Back through s = z/|z| and z = M x: dM += Σ_i dz_i x_iᵀ. */
function accumulateLinearGrad(dS: Float64Array, fwd: { s: Float64Array; norms: Float64Array }, x: Float64Array, b: number, d: number, dM: Float64Array): void {
  const dz = new Float64Array(d);
  for (let i = 0; i < b; i++) {
    let dot = 0;
    for (let a = 0; a < d; a++) dot += fwd.s[i * d + a]! * dS[i * d + a]!;
    const n = fwd.norms[i]!;
    for (let a = 0; a < d; a++) dz[a] = (dS[i * d + a]! - fwd.s[i * d + a]! * dot) / n;
    for (let a = 0; a < d; a++) {
      const za = dz[a]!;
      if (za === 0) continue;
      for (let k = 0; k < d; k++) dM[a * d + k]! += za * x[i * d + k]!;
    }
  }
}

/** Adam (Kingma & Ba) over the adapter parameters. */
export class Adam {
  private t = 0;
  private readonly m: Gradients;
  private readonly s: Gradients;
  constructor(
    params: AdapterParams,
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = zeroGradients(params);
    this.s = zeroGradients(params);
  }

  step(p: AdapterParams, g: Gradients, maxLogScale: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const update = (param: Float64Array, grad: Float64Array, m: Float64Array, s: Float64Array) => {
      for (let k = 0; k < param.length; k++) {
        m[k] = this.beta1 * m[k]! + (1 - this.beta1) * grad[k]!;
        s[k] = this.beta2 * s[k]! + (1 - this.beta2) * grad[k]! ** 2;
        param[k]! -= (this.lr * (m[k]! / c1)) / (Math.sqrt(s[k]! / c2) + this.eps);
      }
    };
    update(p.w, g.w, this.m.w, this.s.w);
    if (p.v && g.v) update(p.v, g.v, this.m.v!, this.s.v!);
    this.m.logScale = this.beta1 * this.m.logScale + (1 - this.beta1) * g.logScale;
    this.s.logScale = this.beta2 * this.s.logScale + (1 - this.beta2) * g.logScale ** 2;
    p.logScale -= (this.lr * (this.m.logScale / c1)) / (Math.sqrt(this.s.logScale / c2) + this.eps);
    // CLIP clamps its learned scale to [1, 100].
    p.logScale = Math.min(maxLogScale, Math.max(0, p.logScale));
  }
}
