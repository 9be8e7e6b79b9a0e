#!/usr/bin/env node
// Installed entry point: runs the TypeScript CLI through tsx (Node >= 24).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
