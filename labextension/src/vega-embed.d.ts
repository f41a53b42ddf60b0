/**
 * The part of vega-embed's API the panel uses (its own types need moduleResolution "bundler",
 * which the JupyterLab extension template's "node" does not read).
 */
declare module 'vega-embed' {
  export default function embed(
    el: HTMLElement,
    spec: object,
    options?: { renderer?: 'svg' | 'canvas'; actions?: boolean; tooltip?: { theme?: string } | boolean }
  ): Promise<{ finalize: () => void }>;
}
