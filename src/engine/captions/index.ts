// Synthetic captions: captioner models, the captions file, and captioning runs.
// (The generator itself runs only inside the worker process: see generator.ts.)
export * from './models';
export * from './run';
export * from './settings';
export * from './store';
export { normalizeCaption } from './text';
