// The Overview's chart: Chart.js, with only the parts a stacked bar chart needs (tree-shaken).
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface ChartInput {
  labels: string[];
  datasets: { label: string; data: number[]; color: string }[];
}

export function drawDailyChart(canvas: HTMLCanvasElement, input: ChartInput): Chart {
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: input.labels,
      datasets: input.datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.color, borderRadius: 2, maxBarThickness: 28 })),
    },
    options: {
      // Drawn at once: the figure is there when the data is, and the render can be measured.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10, color: '#475569' } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0, color: '#475569' }, grid: { color: '#e2e8f0' } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, color: '#1e293b' } } },
    },
  });
}
