/**
 * One chart component over Vega-Lite (vega-embed, loaded on first use): SVG rendering, hover
 * tooltips (vega-tooltip, which escapes every value), resizing with its box, JupyterLab's theme.
 */
import * as React from 'react';

import { IChartTheme } from '../chart-spec';
import { errorMessage } from '../errors';

/** The theme's chart colours, read from JupyterLab's CSS variables on `node`. */
export function readTheme(node: Element | null): IChartTheme {
  const style = node ? getComputedStyle(node) : null;
  const get = (name: string, fallback: string) => style?.getPropertyValue(name).trim() || fallback;
  return {
    text: get('--jp-ui-font-color1', '#333'),
    grid: get('--jp-border-color2', '#ddd'),
    background: get('--jp-layout-color1', '#fff')
  };
}

/** Re-render when the user switches JupyterLab's theme (the body's theme attributes change). */
export function useThemeVersion(): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const observer = new MutationObserver(() => setVersion(v => v + 1));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return version;
}

export interface IVegaViewProps {
  /** Builds the Vega-Lite spec from the theme colours. */
  spec: (theme: IChartTheme) => object;
  /** The chart's accessible name (also its `aria-label`). */
  label: string;
  className?: string;
  /** Changes whenever the spec does (the spec function itself is new on every render). */
  specKey: string;
}

type EmbedResult = { finalize: () => void };

let preloading: Promise<unknown> | null = null;

/**
 * Start loading the charting library (vega-embed and Vega-Lite, a few hundred kB, fetched on
 * first use) now, e.g. while a compare's data is on its way, so drawing does not wait for both in
 * turn. Loading it twice is one request: the bundler keeps the first promise.
 */
export function preloadCharts(): void {
  preloading = preloading ?? import('vega-embed').catch(() => (preloading = null));
}

export function VegaView(props: IVegaViewProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const [error, setError] = React.useState<string | null>(null);
  const themeVersion = useThemeVersion();
  const specRef = React.useRef(props.spec);
  specRef.current = props.spec;
  React.useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    let result: EmbedResult | null = null;
    let live = true;
    import('vega-embed')
      .then(async mod => {
        if (!live) {
          return;
        }
        const spec = specRef.current(readTheme(node));
        const embedded = (await mod.default(node, spec as never, {
          renderer: 'svg',
          actions: false,
          tooltip: { theme: document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light' }
        })) as unknown as EmbedResult;
        if (!live) {
          embedded.finalize();
          return;
        }
        result = embedded; // (Vega itself follows the box's size: width 'container')
        node.dataset.rendered = 'true';
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
      result?.finalize();
      delete node.dataset.rendered;
    };
  }, [props.specKey, themeVersion]);
  return (
    <div className={`jp-mlops-VegaView ${props.className ?? ''}`} role="figure" aria-label={props.label}>
      <div ref={host} className="jp-mlops-VegaView-host" />
      {error && <div className="jp-mlops-error">chart failed: {error}</div>}
    </div>
  );
}
