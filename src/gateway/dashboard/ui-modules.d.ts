// Module types for the dashboard's files, bundled as text by the wrangler `rules` in wrangler.toml (and
// the matching rule of the workerd test pool). One declaration per file: the list is the page's assets.
declare module "*/ui/index.html" {
  const text: string;
  export default text;
}
declare module "*/ui/dashboard.css" {
  const text: string;
  export default text;
}
declare module "*/ui/dashboard.js" {
  const text: string;
  export default text;
}
declare module "*/ui/api.js" {
  const text: string;
  export default text;
}
declare module "*/ui/charts.js" {
  const text: string;
  export default text;
}
declare module "*/ui/examples.js" {
  const text: string;
  export default text;
}
declare module "*/ui/versions.js" {
  const text: string;
  export default text;
}
declare module "*/ui/overview.js" {
  const text: string;
  export default text;
}
declare module "*/ui/experiments.js" {
  const text: string;
  export default text;
}
declare module "*/ui/budget.js" {
  const text: string;
  export default text;
}
declare module "*/ui/format.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
