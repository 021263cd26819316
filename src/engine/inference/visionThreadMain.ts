// Entry of the vision-tower thread, bundled to dist/vision-thread.js (see visionThread.ts).
import { runVisionThread } from './visionThread';

runVisionThread();
