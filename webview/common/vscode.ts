// Typed access to the webview API VS Code injects (`acquireVsCodeApi` may be called only once).
import { isHostMessage, type HostToWebview, type WebviewToHost } from '../../src/shared/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewToHost): void {
  api.postMessage(message);
}

export function getState<T extends object>(): Partial<T> {
  const s = api.getState();
  return s && typeof s === 'object' ? (s as Partial<T>) : {};
}

export function setState<T extends object>(state: T): void {
  api.setState(state);
}

export function onHostMessage(handler: (message: HostToWebview) => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    if (isHostMessage(e.data)) handler(e.data);
  });
}
