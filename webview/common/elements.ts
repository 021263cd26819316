// The vscode-elements components the webviews use (imported one by one to keep bundles small).
// vscode-icon (and components that need it, like vscode-collapsible) is avoided: it needs the
// codicon font, which would add a font file and a stylesheet link to the CSP.
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
