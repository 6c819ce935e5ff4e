// ECharts, tree-shaken to what the dashboard draws: the asset treemap, the class
// donut, drift bars and the backtest bars. Colours follow the page's scheme.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart, TreemapChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([TreemapChart, PieChart, BarChart, LineChart, TooltipComponent, GridComponent,
  LegendComponent, CanvasRenderer]);

export { echarts };

export function dark(): boolean {
  return window.matchMedia("(prefers-color-scheme: dark)").matches;
}

export const CLASS_COLOURS: Record<string, string> = {
  fiat: "#3b82f6", stablecoin: "#14b8a6", crypto: "#f59e0b", commodity: "#a855f7",
  other: "#64748b",
};

/** A chart in `element` that follows the element's size; dispose() when done. */
export function chartIn(element: HTMLElement): echarts.ECharts {
  const chart = echarts.init(element, dark() ? "dark" : undefined, { renderer: "canvas" });
  const observer = new ResizeObserver(() => chart.resize());
  observer.observe(element);
  const dispose = chart.dispose.bind(chart);
  chart.dispose = () => {
    observer.disconnect();
    dispose();
  };
  return chart;
}
