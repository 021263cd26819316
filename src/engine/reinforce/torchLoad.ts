// Reads what RayGen writes as `<uid>.pth.gz` with --bfloat16: gzip of torch.save(dict of tensors),
// i.e. torch's zip serialization (records `<prefix>/data.pkl` and `<prefix>/data/<key>`) whose
// pickle (protocol 2) rebuilds each tensor with torch._utils._rebuild_tensor_v2 from a storage
// named by persistent id ('storage', torch.<Type>Storage, key, location, numel). The pickle is
// untrusted: this is a small interpreter of the opcodes torch.save emits that can only build
// dicts, lists, tuples, numbers, strings and tensors; any other global or opcode is refused.
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { halfFloat } from './npy';

export interface LoadedTensor {
  dtype: 'float32' | 'bfloat16' | 'float16' | 'float64';
  shape: number[];
  /** Values converted to float32, C order. */
  data: Float32Array;
}

const STORAGE_TYPES: Record<string, { dtype: LoadedTensor['dtype']; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
};
/** Upper bound on decompressed sizes: one sample's embeddings are kilobytes to a few megabytes. */
const MAX_BYTES = 256 * 1024 * 1024;

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
class Storage {
  constructor(
    readonly type: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
class Reduced {
  constructor(
    readonly fn: Global,
    readonly args: unknown[],
  ) {}
}

/** torch.load of a .pth.gz member: name -> tensor. Throws with the reason on anything else. */
export function loadTorchGz(bytes: Uint8Array): Map<string, LoadedTensor> {
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
  } catch (err) {
    throw new Error(`not gzip data (${(err as Error).message})`);
  }
  return loadTorch(raw);
}

/** torch.load of torch.save's zip format: name -> tensor. */
export function loadTorch(bytes: Uint8Array): Map<string, LoadedTensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new Error(`not a torch.save zip archive (${(err as Error).message ?? err})`);
  }
  const pkl = Object.keys(files).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new Error('no data.pkl record (torch.save before 1.6 used another format, not supported)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const value = unpickle(files[pkl]!);
  const tensors = new Map<string, LoadedTensor>();
  const entries = value instanceof Map ? [...value.entries()] : undefined;
  if (!entries) throw new Error('the pickled object is not a dict');
  for (const [name, v] of entries) {
    if (typeof name !== 'string') throw new Error('dict keys must be strings');
    tensors.set(name, rebuildTensor(v, files, prefix, name));
  }
  return tensors;
}

function rebuildTensor(v: unknown, files: Record<string, Uint8Array>, prefix: string, name: string): LoadedTensor {
  if (!(v instanceof Reduced) || v.fn.module !== 'torch._utils' || v.fn.name !== '_rebuild_tensor_v2') throw new Error(`${name} is not a tensor`);
  const [storage, offset, size, stride] = v.args;
  if (!(storage instanceof Storage)) throw new Error(`${name}: no storage`);
  const type = STORAGE_TYPES[storage.type];
  if (!type) throw new Error(`${name}: storage type ${storage.type} is not a float type`);
  if (
    !Number.isInteger(offset) ||
    !Array.isArray(size) ||
    !Array.isArray(stride) ||
    size.length !== stride.length ||
    ![...(size as unknown[]), ...(stride as unknown[])].every((n) => Number.isInteger(n) && (n as number) >= 0)
  ) {
    throw new Error(`${name}: bad size/stride`);
  }
  const record = files[`${prefix}data/${storage.key}`];
  if (!record) throw new Error(`${name}: storage record data/${storage.key} missing`);
  if (record.length !== storage.numel * type.bytes) throw new Error(`${name}: storage has ${record.length} bytes, expected ${storage.numel * type.bytes}`);
  const shape = size as number[];
  const count = shape.reduce((a, b) => a * b, 1);
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const read = (i: number): number => {
    switch (type.dtype) {
      case 'float32':
        return view.getFloat32(i * 4, true);
      case 'float64':
        return view.getFloat64(i * 8, true);
      case 'bfloat16': {
        const f = new DataView(new ArrayBuffer(4));
        f.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        return f.getFloat32(0, true);
      }
      case 'float16':
        return halfFloat(view.getUint16(i * 2, true));
    }
  };
  const data = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = offset as number;
    for (let d = 0; d < shape.length; d++) at += index[d]! * (stride as number[])[d]!;
    if (at >= storage.numel) throw new Error(`${name}: size/stride reach past the storage`);
    data[n] = read(at);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return { dtype: type.dtype, shape, data };
}

const ALLOWED_GLOBALS = new Set(['collections OrderedDict', 'torch._utils _rebuild_tensor_v2', ...Object.keys(STORAGE_TYPES).map((t) => `torch ${t}`)]);
const MARK = Symbol('mark');

/** The pickle opcodes of protocols 2-4 that torch.save emits for a dict of tensors. */
// Long: one switch over the pickle opcodes, as the reference unpickler is written.
function unpickle(bytes: Uint8Array): unknown {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > buf.length) throw new Error('truncated pickle');
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new Error('pickle: no mark');
    const items = stack.splice(at + 1);
    stack.pop();
    return items;
  };
  const top = () => {
    if (!stack.length) throw new Error('pickle: empty stack');
    return stack[stack.length - 1];
  };
  const line = (): string => {
    const end = buf.indexOf(10, p);
    if (end < 0) throw new Error('truncated pickle');
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw new Error('pickle: SETITEMS on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  for (let steps = 0; steps < 10_000_000; steps++) {
    need(1);
    const op = buf[p++]!;
    switch (op) {
      case 0x80:
        need(1);
        p++;
        break; // PROTO
      case 0x95:
        need(8);
        p += 8;
        break; // FRAME
      case 0x2e: {
        // STOP
        if (stack.length !== 1) throw new Error('pickle: stack not empty at STOP');
        return stack[0];
      }
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4b:
        need(1);
        stack.push(buf[p]);
        p += 1;
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(buf.readUInt16LE(p));
        p += 2;
        break; // BININT2
      case 0x4a:
        need(4);
        stack.push(buf.readInt32LE(p));
        p += 4;
        break; // BININT
      case 0x8a: {
        // LONG1
        need(1);
        const n = buf[p++]!;
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p + i]!);
        if (n > 0 && buf[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error('pickle: integer too large');
        stack.push(Number(v));
        break;
      }
      case 0x47:
        need(8);
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break; // BINFLOAT
      case 0x58: {
        need(4);
        const n = buf.readUInt32LE(p);
        p += 4;
        need(n);
        stack.push(buf.toString('utf8', p, p + n));
        p += n;
        break;
      } // BINUNICODE
      case 0x8c: {
        need(1);
        const n = buf[p++]!;
        need(n);
        stack.push(buf.toString('utf8', p, p + n));
        p += n;
        break;
      } // SHORT_BINUNICODE
      case 0x55: {
        need(1);
        const n = buf[p++]!;
        need(n);
        stack.push(buf.toString('latin1', p, p + n));
        p += n;
        break;
      } // SHORT_BINSTRING
      case 0x54: {
        need(4);
        const n = buf.readUInt32LE(p);
        p += 4;
        need(n);
        stack.push(buf.toString('latin1', p, p + n));
        p += n;
        break;
      } // BINSTRING
      case 0x71:
        need(1);
        memo.set(buf[p]!, top());
        p += 1;
        break; // BINPUT
      case 0x72:
        need(4);
        memo.set(buf.readUInt32LE(p), top());
        p += 4;
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68: {
        need(1);
        const k = buf[p++]!;
        if (!memo.has(k)) throw new Error('pickle: bad memo');
        stack.push(memo.get(k));
        break;
      } // BINGET
      case 0x6a: {
        need(4);
        const k = buf.readUInt32LE(p);
        p += 4;
        if (!memo.has(k)) throw new Error('pickle: bad memo');
        stack.push(memo.get(k));
        break;
      } // LONG_BINGET
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([stack.pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = stack.pop();
        const a = stack.pop();
        stack.push([a, b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = stack.pop();
        const b = stack.pop();
        const a = stack.pop();
        stack.push([a, b, c]);
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = stack.pop();
        const l = top();
        if (!Array.isArray(l)) throw new Error('pickle: APPEND on a non-list');
        l.push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new Error('pickle: APPENDS on a non-list');
        l.push(...items);
        break;
      } // APPENDS
      case 0x73: {
        const v = stack.pop();
        const k = stack.pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        if (!ALLOWED_GLOBALS.has(`${module} ${name}`)) throw new Error(`pickle: global ${module}.${name} is not allowed`);
        stack.push(new Global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = stack.pop();
        const module = stack.pop();
        if (!ALLOWED_GLOBALS.has(`${String(module)} ${String(name)}`)) throw new Error(`pickle: global ${String(module)}.${String(name)} is not allowed`);
        stack.push(new Global(String(module), String(name)));
        break;
      }
      case 0x51: {
        // BINPERSID
        const id = stack.pop();
        if (!Array.isArray(id) || id[0] !== 'storage' || !(id[1] instanceof Global) || typeof id[2] !== 'string' || !Number.isInteger(id[4])) {
          throw new Error('pickle: unexpected persistent id');
        }
        stack.push(new Storage(id[1].name, id[2], id[4] as number));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = stack.pop();
        const fn = stack.pop();
        if (!(fn instanceof Global) || !Array.isArray(args)) throw new Error('pickle: bad REDUCE');
        stack.push(fn.module === 'collections' ? new Map() : new Reduced(fn, args));
        break;
      }
      case 0x62: {
        stack.pop();
        break;
      } // BUILD (an OrderedDict's state): ignored
      default:
        throw new Error(`pickle: opcode 0x${op.toString(16)} is not supported`);
    }
  }
  throw new Error('pickle: too long');
}
