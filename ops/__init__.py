"""Operations: starting, training and stopping the processes of a Bangban system."""
