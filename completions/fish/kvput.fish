# fish completion for kvput
complete -c kvput -f
complete -c kvput -l delete -d 'Delete the key (write a tombstone)'
complete -c kvput -l context -x -d 'Context token kvget printed: supersede what that get saw'
complete -c kvput -l w -x -d 'Write quorum: replicas that must acknowledge'
complete -c kvput -l primaries-only -d 'Only the key\'s own replicas count toward W'
complete -c kvput -l node -x -d 'Node address (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvput -l timeout-ms -x -d 'Give up after this many milliseconds'
complete -c kvput -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvput -l json -d 'Print the outcome as JSON'
complete -c kvput -s q -l quiet -d 'Print nothing on success'
complete -c kvput -l help -d 'Print the options'
complete -c kvput -l version -d 'Print the version'
