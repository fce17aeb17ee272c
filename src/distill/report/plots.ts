/** The report's charts; each lives in its own module to keep them short. */
export { cascadeCurveSvg } from "./cascade-plot.ts";
export { reliabilitySvg } from "./reliability-plot.ts";
export { worstClassesSvg } from "./worst-classes-plot.ts";
