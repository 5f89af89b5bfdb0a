// What every page of the console receives from the router.
export interface ViewContext {
  /** the element the page renders into; emptied by the router before each page */
  root: HTMLElement;
  /** aborted when the user leaves the page (or logs out): cancels its requests */
  signal: AbortSignal;
  /** the path segment after the page name (an object id), decoded */
  arg: string;
  /** the query part of the hash route */
  params: URLSearchParams;
  /** registers clean-up to run when the page is left (e.g. destroying the graph) */
  onLeave(f: () => void): void;
}

export type View = (ctx: ViewContext) => void | Promise<void>;
