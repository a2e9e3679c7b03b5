// npm run build:dashboard: the dashboard's static build into dist/dashboard,
// for any static host (see README.md, "## Dashboard").
import { buildDashboard, DASHBOARD_DIR } from './dashboard-server.ts';

buildDashboard((line) => console.log(line));
console.log(`Built ${DASHBOARD_DIR}`);
