/** The Azure function app's single `main`: importing a function file registers it with `app`. */
import './health';
import './scheduler';
