// What other parts of the app use from the conference page: the wall places the active
// speaker panel; the router lazy-loads ConferencePage from its own module.
export { ActiveSpeakerPanel, type ActiveSpeakerPanelProps } from './ActiveSpeakerPanel';
