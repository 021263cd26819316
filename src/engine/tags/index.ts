// Auto-tagging for the extension, the CLI and the gallery: vocabulary, tags file, tagger.
export { DEFAULT_TAGS, DEFAULT_THRESHOLD, DEFAULT_MIN_SIMILARITY, DEFAULT_TOP_K, SUBJECT_TEMPLATES, GENERIC_NULL_PROMPTS, NULL_PHRASES } from './defaults';
export { loadTagVocabulary, buildVocabulary, vocabularyFromNames, vocabularyFileTemplate, withVocabularyThreshold, TagVocabularyError, VOCABULARY_FILE } from './vocabulary';
export type { TagDefinition, TagVocabulary, VocabularyLayer, LoadVocabularyOptions } from './vocabulary';
export { TagStore, TAGS_DATA_FILE } from './store';
export type { TagEntry, TagMark, TagSource, TagState, TagStoreOptions } from './store';
export { AutoTagger, needsTagging, suggestionsFromStore, tagImages, suggestTags, withOverrides } from './tagger';
export { compareTags } from './order';
export type { OrderedTag } from './order';
export type { TagImageInput, TagImagesResult, TagRunOptions, TagSuggestion, AutoTaggerOptions, FewShotOptions } from './tagger';
export { TagEmbeddingCache, sharedTagEmbeddingCache, prepareVocabulary } from './embeddings';
export type { ExportFormat, ExportOptions, ExportedImage, ExportedTag } from './export';
export { exportTags, exportTagsTo, writeXmpSidecars, xmpSidecarPath } from './export';
export { normalizeTagName, checkTagName } from './names';
export { imagesFromSnapshot } from './fromIndex';
