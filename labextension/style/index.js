import './base.css';
import './run-page.css';
