// `mobileclip-assets distill`: fit an adapter on a frozen student with the MobileCLIP loss and
// report held-out retrieval before and after.
import * as path from 'node:path';
import { DEFAULT_MODEL_ID } from '../../engine/models/resolve';
import { distillAdapter, formatRecall, type DistillReport } from '../../engine/reinforce/distill/train';
import { defineCommand, GLOBAL_OPTIONS, GLOBAL_USAGE, numberFlag, openEngine } from '../command';
import { datasetOptionsFrom, DATASET_OPTIONS, DATASET_USAGE } from './reinforce';
import { printLines } from '../output';

const USAGE = `Usage: mobileclip-assets distill DATASET [options]

Shows what a reinforced dataset (ours, or Apple's: RayGen output, DataCompDR shards) is worth: fits a small adapter on top of a frozen student model
(--model, default ${DEFAULT_MODEL_ID}): a linear map on its image embeddings, initialised to the
identity (optionally one on text embeddings too), trained on the CPU with the MobileCLIP loss
  (1 - lambda) * CLIP contrastive loss + lambda * distillation loss,
where distillation is the KL divergence between the teachers' and the student's softmax
image-text similarity matrices in both directions (image->text, text->image), averaged over the
teachers; teacher logit scale 100, student logit scale learned (starts at 100, clamped to
[1, 100]). It is applied to (augmented image, real caption) and (augmented image, synthetic
caption) batches, summed. Retrieval recall@1/5 both ways on a held-out split is reported before
and after; the report says so when the adapter does not help. The adapter is saved with the
student's fingerprint (default DATASET/adapter.json). The student sees each stored augmentation
as Apple's trainer replays it (the stored image decoded like PIL, Compose.reapply at its size).

Options:
  --lambda L              distillation weight in [0, 1] (default 1; the paper: 1 for S, 0.75 for B)
  --epochs E              training epochs (default 30)
  --holdout F             held-out fraction for evaluation (default 0.2)
  --batch-size B          pairs per batch (default 64)
  --lr R                  Adam learning rate (default 0.01)
  --text-adapter          also fit a map on the text embeddings
  --seed S                split/shuffle seed (default 0)
${DATASET_USAGE}
  --adapter FILE          where to save the adapter (default DATASET/adapter.json)
  --json                  print the report as JSON
${GLOBAL_USAGE}`;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  ...DATASET_OPTIONS,
  lambda: { type: 'string' },
  epochs: { type: 'string' },
  holdout: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'text-adapter': { type: 'boolean' },
  seed: { type: 'string' },
  adapter: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const distill = defineCommand({
  name: 'distill',
  summary: 'fit a distillation adapter on a reinforced dataset and measure retrieval',
  usage: USAGE,
  options: OPTIONS,
  positionals: { min: 1, max: 1, missing: 'give exactly one dataset folder' },
  async run(values, positionals) {
    const lambda = numberFlag('--lambda', values.lambda, 'distill.lambda');
    const holdout = numberFlag('--holdout', values.holdout, 'distill.holdout');
    const learningRate = numberFlag('--lr', values.lr, 'distill.lr');
    const epochs = numberFlag('--epochs', values.epochs, 'distill.epochs');
    const batchSize = numberFlag('--batch-size', values['batch-size'], 'distill.batch-size');
    const seed = numberFlag('--seed', values.seed, 'reinforce.seed');
    const dataset = path.resolve(positionals[0]!);
    const datasetOptions = datasetOptionsFrom(values);

    const student = await openEngine(values);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let report: DistillReport;
    try {
      report = await distillAdapter({
        dataset,
        student,
        lambda,
        epochs,
        holdout,
        batchSize,
        learningRate,
        seed,
        textAdapter: values['text-adapter'],
        ...datasetOptions,
        out: values.adapter,
        signal: controller.signal,
        onProgress: (line) => printLines(process.stderr, line),
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
      await student.dispose();
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const lines = [
        `student ${student.info.id} (${student.info.dim}-d); ${report.trainSamples} training samples, ${report.holdoutSamples} held out; lambda ${report.settings.lambda}, ${report.settings.epochs} epochs, ${report.seconds.toFixed(1)} s`,
        ...report.skipped.map((s) => `skipped ${s.path}: ${s.error}`),
        `before:   ${formatRecall(report.before)}`,
        `after:    ${formatRecall(report.after)}`,
        `teachers: ${formatRecall(report.teachers)}`,
        report.verdict,
        `adapter: ${report.adapterPath}`,
      ];
      printLines(process.stdout, lines);
    }
    return 0;
  },
});
