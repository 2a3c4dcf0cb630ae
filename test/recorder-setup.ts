// Starts the recording server that workers tests send alert notifications to (test/recorder.ts).
import type { TestProject } from 'vitest/node';
import { startRecorder } from './recorder.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    recorderUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const rec = await startRecorder();
  project.provide('recorderUrl', rec.url);
  return () => rec.close();
}
