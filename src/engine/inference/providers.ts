// Execution-provider choice with fallback: try the accelerator the setting asks for, fall back
// to CPU when it cannot load, and say which one actually runs.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ExecutionProviderSetting } from '../types';

export interface SessionSettings {
  executionProvider?: ExecutionProviderSetting;
  /** Intra-op threads; 0/undefined = onnxruntime's default. */
  threads?: number;
  log?: (line: string) => void;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** Provider that runs the graph after fallback, e.g. "cpu". */
  provider: string;
}

/** The providers to try for a setting, best first, always ending with CPU. */
export function providerCandidates(setting: ExecutionProviderSetting = 'auto', platform = process.platform): string[] {
  if (setting === 'cpu') return ['cpu'];
  if (setting !== 'auto') return [setting, 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  // On Linux the CUDA provider is an optional download next to the binding; trying it without
  // the library only prints a loader error, so try it only when it is there.
  return cudaLibraryPresent() ? ['cuda', 'cpu'] : ['cpu'];
}

function cudaLibraryPresent(): boolean {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

function sessionOptions(provider: string, threads: number | undefined): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // Warnings such as "some nodes were not assigned to the preferred provider" are expected.
    logSeverityLevel: 3,
    // Without the arena, activations are freed after each run instead of kept at their peak:
    // the worker's RSS while indexing at batch 16 measured ~60 MB lower, at the same speed.
    enableCpuMemArena: false,
    // The memory pattern plans one block for a run's activations at their peak and keeps it;
    // without it they are allocated and freed as the graph goes.
    enableMemPattern: false,
  };
  if (threads && threads > 0) opts.intraOpNumThreads = Math.floor(threads);
  // Idle intra-op threads sleep instead of spin-waiting: spinning burns the cores that image
  // decoding (and anything else on the machine) needs, and measured 2x slower under contention.
  opts.extra = { session: { intra_op: { allow_spinning: '0' } } };
  return opts;
}

/**
 * Create a session on the first candidate provider that loads. `candidates` narrows the choice
 * (the text tower reuses whatever the vision tower ended up on).
 */
export async function createSession(modelPath: string, settings: SessionSettings, candidates = providerCandidates(settings.executionProvider)): Promise<CreatedSession> {
  const failures: string[] = [];
  for (const provider of candidates) {
    try {
      const session = await ort.InferenceSession.create(modelPath, sessionOptions(provider, settings.threads));
      if (failures.length) settings.log?.(`execution provider ${failures.join('; ')}; running on ${provider}`);
      return { session, provider };
    } catch (err) {
      const reason = firstLine((err as Error).message);
      // A broken model file fails on every provider: report it as such, not as a provider problem.
      if (provider === 'cpu' || isModelError(reason)) throw new Error(`cannot load ${path.basename(modelPath)}: ${reason}`);
      failures.push(`${provider} unavailable (${reason})`);
    }
  }
  throw new Error(`no execution provider could load ${modelPath}: ${failures.join('; ')}`);
}

function isModelError(msg: string): boolean {
  return /protobuf|invalid model|load model|no such file|model_path|ENOENT|INVALID_GRAPH|INVALID_PROTOBUF/i.test(msg);
}

function firstLine(msg: string): string {
  return (msg.split('\n').find((l) => l.trim()) ?? msg).trim().slice(0, 300);
}
