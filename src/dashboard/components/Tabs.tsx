// Tabs after the WAI-ARIA tabs pattern: only the selected tab is in the Tab
// order (a roving tabindex); Left/Right move to the previous/next tab,
// wrapping, Home/End to the first/last, and moving selects (automatic
// activation: selecting is navigating to the tab's URL, as a click does, so
// Back undoes it). Each tab stays a link, so it can be opened in a new
// browser tab or copied.
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { navigate } from '../router.ts';

export interface Tab {
  /** The element id, which the panel's aria-labelledby names. */
  id: string;
  label: ReactNode;
  href: string;
  selected: boolean;
}

/** The index of the tab that `key` moves to from tab `from` of `count`; -1 for any other key. */
function target(key: string, from: number, count: number): number {
  switch (key) {
    case 'ArrowRight': return (from + 1) % count;
    case 'ArrowLeft': return (from - 1 + count) % count;
    case 'Home': return 0;
    case 'End': return count - 1;
    default: return -1;
  }
}

export function Tabs({ label, tabs, panel }: { label: string; tabs: Tab[]; panel: string }) {
  const refs = useRef<(HTMLAnchorElement | null)[]>([]);
  const selected = Math.max(0, tabs.findIndex((t) => t.selected));
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    // Alt+Left is the browser's Back; leave every modified key to the browser.
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const from = refs.current.findIndex((el) => el === e.target);
    const to = from < 0 ? -1 : target(e.key, from, tabs.length);
    if (to < 0) return;
    e.preventDefault();
    refs.current[to]?.focus();
    if (!tabs[to].selected) navigate(tabs[to].href);
  };
  return (
    <div role="tablist" aria-label={label} className="tabs" onKeyDown={onKeyDown}>
      {tabs.map((t, i) => (
        <a key={t.id} id={t.id} ref={(el) => { refs.current[i] = el; }} role="tab" href={t.href}
          aria-selected={t.selected} aria-controls={panel} tabIndex={i === selected ? 0 : -1}>{t.label}</a>
      ))}
    </div>
  );
}
