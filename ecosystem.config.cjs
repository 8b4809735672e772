// pm2 process file for the hotline appliance daemon (热线一体机).
//   npm run build && pm2 start ecosystem.config.cjs
// One process per data dir ("fork" mode, never cluster: the daemon owns the SIP/RTP ports and
// holds a pid lock on its data dir). pm2 stops with SIGINT, which drains like SIGTERM; its
// kill_timeout must stay above lifecycle.drainLimitMs (30 s by default). Exit code 2 means an
// invalid configuration, which restarting cannot fix.
module.exports = {
  apps: [
    {
      name: 'hotline-appliance',
      script: 'dist/appliance/daemon/main.js',
      cwd: __dirname,
      // The flags of scripts/start.sh (a 32 MB young generation: see there).
      node_args: '--enable-source-maps --max-semi-space-size=32',
      exec_mode: 'fork',
      instances: 1,
      autorestart: true,
      stop_exit_codes: [2],
      exp_backoff_restart_delay: 200,
      kill_timeout: 45000,
      listen_timeout: 30000,
      // Above the daemon's RSS at 1 000 SIP calls/s (about 2 GB, bench/sip-cps.bench.ts): a restart drops calls.
      max_memory_restart: '3G',
      merge_logs: true,
      time: false,
      // Embedded defaults (data in ./var). To use a file: cp appliance.example.yaml appliance.yaml
      // and add APPLIANCE_CONFIG: 'appliance.yaml' here.
      env: {
        NODE_ENV: 'production',
        APPLIANCE_DATA_DIR: 'var',
      },
    },
  ],
};
