"""``python -m devcluster`` (``make cluster``): the cluster on this machine until Ctrl-C.

Starts PostgreSQL, moto's S3 server, builds and publishes the sample catalog into the
store, starts three replicas (each ``mpsearch serve`` with its own empty home) and
haproxy in front, then prints where everything is and the settings to use the
``mpsearch`` commands against it.
"""

from __future__ import annotations

import argparse
import signal
import threading

from devcluster.stack import ADMIN_TOKEN, Cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="workers per replica")
    args = parser.parse_args()
    cluster = Cluster(replicas=args.replicas, workers=args.workers)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print("starting PostgreSQL and moto's S3 server ...", flush=True)
        cluster.start_services()
        print("building and publishing the sample catalog ...", flush=True)
        cluster.publish(cluster.build())
        print(f"starting {args.replicas} replicas ...", flush=True)
        cluster.start_replicas()
        cluster.start_haproxy()
        assert cluster.haproxy is not None
        env = cluster.env()
        shown = [
            "MPSEARCH_CHANGELOG_URL", "MPSEARCH_STORE_URL", "MPSEARCH_S3_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
        ]  # fmt: skip
        print(
            f"\nhaproxy:  {cluster.haproxy.url}  (try {cluster.haproxy.url}/v1/search?q=LV&host=jd)"
        )
        for r in cluster.replicas:
            print(f"{r.name}: {r.url}  home {r.home}, log {r.log_path}")
        print(f"admin token: {ADMIN_TOKEN}\n\nto run mpsearch against it:")
        for key in shown:
            print(f"  export {key}={env[key]}")
        print(f"  export MPSEARCH_HOME={cluster.operator_home}")
        print("  .venv/bin/mpsearch cluster status\n\nCtrl-C stops everything.", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...", flush=True)
        cluster.destroy()


if __name__ == "__main__":
    main()
