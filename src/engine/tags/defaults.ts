// The built-in tag vocabulary and prompt templates.
//
// Rationale: a software project's images are mostly *kinds* of asset (icons, logos, screenshots,
// diagrams, charts, illustrations, photos, textures, UI mockups), so those are the first half of
// the vocabulary; the second half is a handful of broad *subjects* that cut across kinds and that
// people search for (people, animal, food, vehicle, building, landscape, document, map). Kept
// short on purpose: every extra tag is another chance of a wrong suggestion, and a workspace adds
// its own tags in `.vscode/asset-tags.json`.
//
// Kind tags use hand-written descriptions (templating "a photo of {}" with "icon" is nonsense).
// Subject tags are filled into templates that span asset kinds, CLIP-style prompt ensembling, so
// "animal" matches an animal photo, icon or drawing alike. The templates follow CLIP's published
// ones ("a photo of a {}.", "a drawing of a {}.", "a sketch of a {}.", "a rendering of a {}.",
// "art of a {}.") plus the asset kinds of a software project ("an icon of {}.", "a screenshot of
// {}.", "a diagram of {}.", "an illustration of {}.").

/** Templates for subject phrases; "{}" is replaced by a phrase such as "an animal". */
export const SUBJECT_TEMPLATES: readonly string[] = [
  'a photo of {}.',
  'a close-up photo of {}.',
  'a drawing of {}.',
  'a sketch of {}.',
  'a rendering of {}.',
  'art of {}.',
  'an illustration of {}.',
  'clip art of {}.',
  'an icon of {}.',
  'a screenshot of {}.',
  'a diagram of {}.',
];

/**
 * Phrases that stand for "nothing in particular". A templated tag is compared with the same
 * templates filled with these, so the template's own pull (e.g. "a photo of" favouring photos)
 * cancels out and only the subject counts.
 */
export const NULL_PHRASES: readonly string[] = ['something', 'an object', 'a thing'];

/** The background for tags described by verbatim prompts (kinds, most user prompts). */
export const GENERIC_NULL_PROMPTS: readonly string[] = ['an image.', 'a picture.', 'an image of something.', 'a picture of something.'];

/** A built-in tag: verbatim prompts, or subject phrases that go through SUBJECT_TEMPLATES. */
export interface DefaultTag {
  name: string;
  prompts?: readonly string[];
  phrases?: readonly string[];
}

const subject = (name: string, phrases: readonly string[]): DefaultTag => ({ name, phrases });

export const DEFAULT_TAGS: readonly DefaultTag[] = [
  // Kinds of asset.
  { name: 'icon', prompts: ['an app icon.', 'a flat vector icon.', 'a simple icon on a plain background.', 'a toolbar icon.', 'a pictogram.'] },
  { name: 'logo', prompts: ['a company logo.', 'a brand logo.', 'a logo with a wordmark.', 'an emblem logo.'] },
  { name: 'screenshot', prompts: ['a screenshot of an application.', 'a screenshot of a website.', 'a screenshot of a computer screen.', 'a screenshot of code in an editor.'] },
  { name: 'diagram', prompts: ['a diagram.', 'a flowchart.', 'an architecture diagram with boxes and arrows.', 'a technical schematic.'] },
  { name: 'chart', prompts: ['a bar chart.', 'a line graph.', 'a pie chart.', 'a plot of data.'] },
  { name: 'illustration', prompts: ['an illustration.', 'a drawing.', 'clip art.', 'a cartoon drawing.', 'a vector illustration.'] },
  { name: 'photo', prompts: ['a photo.', 'a photograph taken with a camera.', 'a high resolution photo.', 'a snapshot.'] },
  { name: 'texture', prompts: ['a seamless texture.', 'a tileable pattern.', 'a close-up of a surface texture.', 'a background pattern.'] },
  { name: 'ui-mockup', prompts: ['a user interface mockup.', 'a wireframe of an app.', 'a mobile app design mockup.', 'a web page design layout.'] },
  // Subjects.
  subject('people', ['a person', 'people', 'a face']),
  subject('animal', ['an animal', 'a pet', 'wildlife']),
  subject('food', ['food', 'a meal', 'a dish of food']),
  subject('vehicle', ['a vehicle', 'a car', 'an airplane']),
  subject('building', ['a building', 'a house', 'architecture']),
  subject('landscape', ['a landscape', 'nature scenery', 'the outdoors']),
  subject('document', ['a text document', 'a page of text', 'a scanned document']),
  subject('map', ['a map', 'a street map', 'a world map']),
];

/**
 * Default decision thresholds (see scoring.ts for what they mean).
 * - threshold 0.7 on the calibrated score = the tag must beat its background by a cosine margin
 *   of ln(0.7/0.3)/100 ≈ 0.0085, i.e. be clearly, not marginally, more likely than "an image".
 * - minSimilarity 0.15: an absolute cosine floor just under the ~0.175 "no good match" cut-off a
 *   production MobileCLIP app uses for search, so a tag never rests on a margin over a background
 *   that itself matches nothing.
 * - topK 5: at most five suggestions per image; more is noise in a QuickPick.
 */
export const DEFAULT_THRESHOLD = 0.7;
export const DEFAULT_MIN_SIMILARITY = 0.15;
export const DEFAULT_TOP_K = 5;
