// Tagging commands: Tag Images, Edit Tags, Export Tags, Edit Tag Vocabulary.
import type { CommandFactory } from '../../ctx';
import { targetPaths } from '../commandArgs';
import { exportTags as exportTagsOf } from './exportTags';
import { editVocabulary as editVocabularyOf } from './vocabularyFiles';

export const tagImages: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => ctx.tags.tagImages.run(targetPaths(first, second), 'incremental');

export const editTags: CommandFactory = (ctx) => (first?: unknown, second?: unknown) => ctx.tags.editTags.run(targetPaths(first, second));

export const exportTags: CommandFactory = (ctx) => () => exportTagsOf(ctx.tags.tags);

export const editVocabulary: CommandFactory = (ctx) => () => editVocabularyOf(ctx.tags.tags);
