// Multiply-accumulates of an ONNX graph for one input row (batch 1), computed from the graph
// itself: shapes are propagated from the inputs through the operators the stand-in uses, and Conv,
// MatMul and Gemm nodes are counted. An operator it does not know stops the count with an error
// rather than guessing.
import { promises as fs } from 'node:fs';
import { onnx } from 'onnx-proto';

export interface MacCount {
  total: number;
  byOp: Record<string, number>;
  parameters: number;
}

type Shape = number[];

function broadcast(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    out.push(Math.max(x, y));
  }
  return out;
}

function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}
function ints(node: onnx.INodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}
function int(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}

function int64Values(t: onnx.ITensorProto): number[] {
  if (t.int64Data?.length) return t.int64Data.map(Number);
  const raw = t.rawData!;
  const view = new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Array.from(view, Number);
}

export async function countMacs(file: string): Promise<MacCount> {
  const model = onnx.ModelProto.decode(await fs.readFile(file));
  const graph = model.graph!;
  const shapes = new Map<string, Shape>();
  const constants = new Map<string, number[]>();
  let parameters = 0;
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(Number);
    shapes.set(t.name!, dims);
    parameters += dims.reduce((a, b) => a * b, 1);
    if (t.dataType === onnx.TensorProto.DataType.INT64) constants.set(t.name!, int64Values(t));
  }
  for (const input of graph.input ?? []) {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    shapes.set(
      input.name!,
      dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : 1)),
    );
  }
  const byOp: Record<string, number> = {};
  const count = (op: string, macs: number) => (byOp[op] = (byOp[op] ?? 0) + macs);
  const get = (name: string): Shape => {
    const s = shapes.get(name);
    if (!s) throw new Error(`no shape for ${name}`);
    return s;
  };
  const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

  for (const node of graph.node ?? []) {
    const ins = node.input ?? [];
    const a = ins[0] ? get(ins[0]) : [];
    let out: Shape;
    switch (node.opType) {
      case 'Conv': {
        const w = get(ins[1]!);
        const strides = ints(node, 'strides') ?? [1, 1];
        const pads = ints(node, 'pads') ?? [0, 0, 0, 0];
        const group = int(node, 'group', 1);
        const [, , kh, kw] = w as [number, number, number, number];
        const h = Math.floor((a[2]! + pads[0]! + pads[2]! - kh) / strides[0]!) + 1;
        const wd = Math.floor((a[3]! + pads[1]! + pads[3]! - kw) / strides[1]!) + 1;
        out = [a[0]!, w[0]!, h, wd];
        count('Conv', out[0]! * out[1]! * h * wd * (a[1]! / group) * kh * kw);
        break;
      }
      case 'MatMul':
      case 'MatMulInteger': {
        const b = get(ins[1]!);
        const m = a[a.length - 2]!;
        const k = a[a.length - 1]!;
        const n = b[b.length - 1]!;
        const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
        out = [...batch, m, n];
        count(node.opType, batch.reduce((x, y) => x * y, 1) * m * k * n);
        break;
      }
      case 'DynamicQuantizeLinear':
        // y, y_scale, y_zero_point
        shapes.set(node.output![1]!, []);
        shapes.set(node.output![2]!, []);
        out = [...a];
        break;
      case 'Gemm': {
        const b = get(ins[1]!);
        const transB = int(node, 'transB', 0);
        const n = transB ? b[0]! : b[1]!;
        out = [a[0]!, n];
        count('Gemm', a[0]! * a[1]! * n);
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Equal':
      case 'Less':
      case 'Pow':
        out = broadcast(a, get(ins[1]!));
        break;
      case 'Relu':
      case 'Erf':
      case 'Sigmoid':
      case 'Tanh':
      case 'Cast':
      case 'Identity':
      case 'Softmax':
      case 'LayerNormalization':
      case 'Not':
      case 'Sqrt':
      case 'Exp':
      case 'DequantizeLinear':
      case 'QuantizeLinear':
        out = [...a];
        break;
      case 'GlobalAveragePool':
        out = [a[0]!, a[1]!, ...a.slice(2).map(() => 1)];
        break;
      case 'Flatten': {
        const axis = axisOf(int(node, 'axis', 1), a.length);
        out = [a.slice(0, axis).reduce((x, y) => x * y, 1), a.slice(axis).reduce((x, y) => x * y, 1)];
        break;
      }
      case 'Gather': {
        const idx = get(ins[1]!);
        const axis = axisOf(int(node, 'axis', 0), a.length);
        out = [...a.slice(0, axis), ...idx, ...a.slice(axis + 1)];
        break;
      }
      case 'Reshape': {
        const target = constants.get(ins[1]!);
        if (!target) throw new Error(`Reshape ${node.name}: shape is not a constant`);
        const total = a.reduce((x, y) => x * y, 1);
        out = target.map((d, i) => (d === 0 ? a[i]! : d));
        const known = out.filter((d) => d !== -1).reduce((x, y) => x * y, 1);
        out = out.map((d) => (d === -1 ? total / known : d));
        break;
      }
      case 'Transpose': {
        const perm = ints(node, 'perm') ?? a.map((_, i) => a.length - 1 - i);
        out = perm.map((p) => a[p]!);
        break;
      }
      case 'Unsqueeze': {
        const axes = constants.get(ins[1]!) ?? ints(node, 'axes');
        if (!axes) throw new Error(`Unsqueeze ${node.name}: axes unknown`);
        out = [...a];
        for (const ax of [...axes].map((x) => axisOf(x, a.length + axes.length)).sort((x, y) => x - y)) out.splice(ax, 0, 1);
        break;
      }
      case 'ArgMax':
      case 'ReduceSum':
      case 'ReduceMean':
      case 'ReduceSumSquare': {
        const axes = (ins[1] ? constants.get(ins[1]) : undefined) ?? ints(node, 'axes') ?? [int(node, 'axis', 0)];
        const keep = int(node, 'keepdims', 1);
        const set = new Set(axes.map((x) => axisOf(x, a.length)));
        out = keep ? a.map((d, i) => (set.has(i) ? 1 : d)) : a.filter((_, i) => !set.has(i));
        break;
      }
      default:
        throw new Error(`MAC counter: unsupported operator ${node.opType}`);
    }
    shapes.set(node.output![0]!, out);
  }
  return { total: Object.values(byOp).reduce((x, y) => x + y, 0), byOp, parameters };
}
