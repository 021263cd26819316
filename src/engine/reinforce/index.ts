// Public surface of dataset reinforcement (used by the CLI and the VS Code commands).
export { reinforceDataset, type CaptionSource, type ReinforceOptions, type ReinforceProgress, type ReinforceSummary, type ReinforceTeacher } from './reinforce';
export { verifyDataset, type VerifyOptions, type VerifyProblem, type VerifyReport, type ReplayReport, type VerifyTeacher } from './verify';
export { distillAdapter, formatRecall, recallFromSimilarities, type DistillOptions, type DistillReport, type Recall } from './distill/train';
export { applyAdapter, adapterFunction, loadAdapter, saveAdapter, type Adapter } from './distill/adapter';
export { loadDataset, openDataset, shardsCarryImages, type DatasetOptions, type LoadedDataset, type OpenedDataset, type ReinforcedSample } from './dataset';
export { DEFAULT_AUGMENT_SETTINGS, sampleAugmentations, type AugmentSettings } from './augment';
export { CONFIG_FILE, MANIFEST_FILE, SHARD_DIR, sampleUid, type DatasetManifest, type SampleInfo, type TeacherEntry } from './format';
