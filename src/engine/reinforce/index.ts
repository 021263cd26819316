// Public surface of dataset reinforcement (used by the CLI and the VS Code commands).
export { reinforceDataset, type CaptionSource, type ReinforceOptions, type ReinforceProgress, type ReinforceSummary } from './reinforce';
export { verifyDataset, type VerifyOptions, type VerifyProblem, type VerifyReport, type ReplayReport } from './verify';
export { distillAdapter, formatRecall, recallFromSimilarities, type DistillOptions, type DistillReport, type Recall } from './distill/train';
export { applyAdapter, adapterFunction, loadAdapter, saveAdapter, type Adapter } from './distill/adapter';
export { loadDataset, readManifest, type LoadedDataset } from './dataset';
export { DEFAULT_AUGMENT_SETTINGS, sampleAugmentations, replayRequests, type AugmentSettings, type StoredAugmentations } from './augment';
export { MANIFEST_FILE, SHARD_DIR, sampleUid, type DatasetManifest, type ReinforcedSample, type SampleInfo, type TeacherEntry } from './format';
