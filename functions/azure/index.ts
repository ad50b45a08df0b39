/**
 * The Azure function app's single `main`: importing a function file registers it with `app`. HTTP streaming is
 * on for the whole app (the router streams SSE; the others answer small JSON bodies either way).
 */
import { app } from '@azure/functions';
import './health';
import './router';
import './scheduler';

app.setup({ enableHttpStream: true });
