// Entry of the vision-tower thread, bundled to dist/vision-thread.js (see vision-thread.ts).
import { runVisionThread } from './vision-thread';

runVisionThread();
